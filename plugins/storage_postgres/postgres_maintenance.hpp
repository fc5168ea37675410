// The operator's tools on a PostgreSQL store (sdk::StorageMaintenance): check the schema
// version, the head against the events (1..head, no gap) and the tags table against the events'
// tags; rebuild the tags table; tell head, size and location.
#pragma once

#include "opossum/sdk/maintenance.hpp"

namespace opossum::plugins::postgres {

class PostgresStorage;

class PostgresMaintenance : public sdk::StorageMaintenance {
 public:
  explicit PostgresMaintenance(PostgresStorage& storage) : storage_(storage) {}

  bool exists() override;
  sdk::CheckReport check(const sdk::Progress& progress) override;
  sdk::RepairReport repair(const sdk::RepairOptions& options,
                           const sdk::Progress& progress) override;
  sdk::ReindexReport reindex(std::size_t batch, const sdk::Progress& progress) override;
  std::optional<std::string> property(const std::string& name) override;
  std::vector<std::string> propertyNames() override;

 private:
  PostgresStorage& storage_;
};

}  // namespace opossum::plugins::postgres
