#include <opossum/sdk/plugin.hpp>

#include "text_serializer.hpp"

OPOSSUM_PLUGIN(
    opossum::sdk::Serializer, "acme-text", "1.0.0", "Acme's text event files",
    [](const opossum::sdk::SerializerContext& context) {
      opossum::sdk::OptionReader(context.options, "serializer plugin 'acme-text'").finish();
      return std::make_unique<acme::TextSerializer>();
    })
