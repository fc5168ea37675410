// The "cbor" serializer: one compact CBOR (RFC 8949) item per event file.
#pragma once

#include <string>
#include <string_view>

#include "opossum/sdk/serializer.hpp"
#include "opossum/types.hpp"

namespace opossum::plugins::cbor {

class CborSerializer : public sdk::Serializer {
 public:
  // Refuses every option (the plugin has none) with a ConfigError.
  explicit CborSerializer(const sdk::SerializerContext& context);
  CborSerializer() = default;

  std::string formatName() const override { return "opossum-cbor"; }
  int formatVersion() const override { return 1; }
  std::string fileExtension() const override { return ".cbor"; }
  std::string serialize(const SequencedEvent& event) const override;
  SequencedEvent deserialize(std::string_view bytes) const override;
};

// Tag 55799 ("self-described CBOR"): the first three bytes of every file.
inline constexpr std::string_view kCborMagic = "\xd9\xd9\xf7";

// Largest bignum (tags 2 and 3) read or written, in bytes of magnitude.
inline constexpr std::size_t kMaxBignumBytes = 1024;

}  // namespace opossum::plugins::cbor
