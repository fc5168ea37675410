// sdk::StorageMaintenance of the file-per-event storage: the check, repair and reindex of
// store_check, store_repair and store_reindex, with the store settled first (an interrupted
// append finished, the files still only in the journal written) so that the files can be judged.
#pragma once

#include "opossum/sdk/maintenance.hpp"
#include "opossum/sdk/storage.hpp"

namespace opossum::plugins::file_storage {

class FileMaintenance : public sdk::StorageMaintenance {
 public:
  explicit FileMaintenance(const sdk::StorageContext& context) : context_(context) {}

  bool exists() override;
  sdk::CheckReport check(const sdk::Progress& progress) override;
  sdk::RepairReport repair(const sdk::RepairOptions& options,
                           const sdk::Progress& progress) override;
  sdk::ReindexReport reindex(std::size_t batch, const sdk::Progress& progress) override;
  // Also "generation" (the ledger's).
  std::optional<std::string> property(const std::string& name) override;
  std::vector<std::string> propertyNames() override;

 private:
  // Opens the store and reads from it; why that failed, if it did.
  std::optional<std::string> settle();

  const sdk::StorageContext& context_;
};

}  // namespace opossum::plugins::file_storage
