// Serializer plugins turn one sequenced event into the bytes of its event file and back.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "opossum/sdk/logger.hpp"
#include "opossum/sdk/options.hpp"
#include "opossum/types.hpp"

namespace opossum::sdk {

class Serializer {
 public:
  virtual ~Serializer() = default;
  // Recorded in the store's manifest; a store written in another format is refused.
  virtual std::string formatName() const = 0;
  virtual int formatVersion() const = 0;
  virtual std::string fileExtension() const = 0;  // with the dot: ".json"
  // The payload (event.event) is valid JSON object text; the kernel checked it.
  virtual std::string serialize(const SequencedEvent& event) const = 0;
  // Throws opossum::CorruptionError when the bytes are not an event of this format.
  virtual SequencedEvent deserialize(std::string_view bytes) const = 0;
};

struct SerializerContext {
  PluginOptions options;
  std::shared_ptr<Logger> logger;
};

}  // namespace opossum::sdk
