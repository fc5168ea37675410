// A vendor's serializer: a line-oriented text format with length-prefixed fields.
#pragma once

#include <opossum/sdk/serializer.hpp>

namespace acme {

class TextSerializer : public opossum::sdk::Serializer {
 public:
  std::string formatName() const override { return "acme-text"; }
  int formatVersion() const override { return 1; }
  std::string fileExtension() const override { return ".acme"; }
  std::string serialize(const opossum::SequencedEvent& event) const override;
  opossum::SequencedEvent deserialize(std::string_view bytes) const override;
};

}  // namespace acme
