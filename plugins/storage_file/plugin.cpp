#include "opossum/sdk/plugin.hpp"
#include "file_storage.hpp"

OPOSSUM_PLUGIN(opossum::sdk::Storage, "file-per-event", "1.0.0",
               "one human-readable file per event, committed through a journal",
               [](const opossum::sdk::StorageContext& context) {
                 return std::make_unique<opossum::plugins::file_storage::FileStorage>(context);
               })
