#include <memory>

#include "json_serializer.hpp"
#include "opossum/sdk/plugin.hpp"

OPOSSUM_PLUGIN(opossum::sdk::Serializer, "json", "1.0.0",
               "Human-readable JSON event files (format opossum-json 1)",
               [](const opossum::sdk::SerializerContext& context) {
                 return std::make_unique<opossum::plugins::json::JsonSerializer>(context);
               })
