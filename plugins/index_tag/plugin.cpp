#include "opossum/sdk/plugin.hpp"
#include "tag_index.hpp"

OPOSSUM_PLUGIN(opossum::sdk::Index, "tag-index", "1.0.0",
               "In-memory sorted position lists per event type and tag over append-only files",
               [](const opossum::sdk::IndexContext& context) {
                 return std::make_unique<opossum::plugins::tag_index::TagIndex>(context);
               })
