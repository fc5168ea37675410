#include <memory>

#include "cbor_serializer.hpp"
#include "opossum/sdk/plugin.hpp"

OPOSSUM_PLUGIN(opossum::sdk::Serializer, "cbor", "1.0.0",
               "Compact binary CBOR event files (format opossum-cbor 1)",
               [](const opossum::sdk::SerializerContext& context) {
                 return std::make_unique<opossum::plugins::cbor::CborSerializer>(context);
               })
