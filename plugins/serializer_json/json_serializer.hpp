// The "json" serializer: one compact, human-readable JSON object per event file.
#pragma once

#include <string>
#include <string_view>

#include "opossum/sdk/serializer.hpp"
#include "opossum/types.hpp"

namespace opossum::plugins::json {

class JsonSerializer : public sdk::Serializer {
 public:
  // Refuses every option (the plugin has none) with a ConfigError.
  explicit JsonSerializer(const sdk::SerializerContext& context);
  JsonSerializer() = default;

  std::string formatName() const override { return "opossum-json"; }
  int formatVersion() const override { return 1; }
  std::string fileExtension() const override { return ".json"; }
  std::string serialize(const SequencedEvent& event) const override;
  SequencedEvent deserialize(std::string_view bytes) const override;
};

// UTC ISO-8601 with nine fractional digits: "2026-11-30T01:02:03.123456789Z".
std::string formatTimestamp(Timestamp time);
// Parses what formatTimestamp writes; 0 to 9 fractional digits. Throws CorruptionError.
Timestamp parseTimestamp(std::string_view text);

}  // namespace opossum::plugins::json
