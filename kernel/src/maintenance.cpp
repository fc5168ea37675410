#include "opossum/maintenance.hpp"

#include "storage_factory.hpp"

namespace opossum {

std::shared_ptr<sdk::StorageMaintenance> openStoreMaintenance(const StoreConfig& config) {
  auto storage = detail::createStorage(config, sdk::StoragePurpose::maintenance);
  auto* maintenance = sdk::capabilityOf<sdk::StorageMaintenance>(*storage);
  if (maintenance == nullptr) {
    throw PluginError("storage plugin '" + config.storage.name +
                      "' offers no store maintenance (verify, recover, reindex, info)");
  }
  // Shares ownership of the storage object, which owns the capability.
  return std::shared_ptr<sdk::StorageMaintenance>(storage, maintenance);
}

}  // namespace opossum
