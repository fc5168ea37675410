#include "opossum/sdk/plugin.hpp"
#include "postgres_storage.hpp"

OPOSSUM_PLUGIN(opossum::sdk::Storage, "postgres", "1.0.0",
               "the events of each store as rows of a PostgreSQL database",
               [](const opossum::sdk::StorageContext& context) {
                 return std::make_unique<opossum::plugins::postgres::PostgresStorage>(context);
               })
