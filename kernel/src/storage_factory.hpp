// Creates the storage plugin a config chooses, with the serializer and index plugins it is given.
#pragma once

#include <memory>
#include <vector>

#include "opossum/config.hpp"
#include "opossum/plugins.hpp"
#include "opossum/sdk/storage.hpp"

namespace opossum::detail {

// For maintenance, PluginError unless the storage plugin declares ABI minor 2 or later (older
// ones would open the store instead). `loaded`, when given, receives the storage, serializer and
// index plugins, in that order.
std::shared_ptr<sdk::Storage> createStorage(const StoreConfig& config, sdk::StoragePurpose purpose,
                                            std::vector<PluginDescription>* loaded = nullptr);

}  // namespace opossum::detail
