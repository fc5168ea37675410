// The operator's tools for a store (`opossum verify`, `recover`, `reindex`, `info`), offered by its
// storage engine (sdk::StorageMaintenance). They work on a store too damaged to open, and never
// create one.
#pragma once

#include <memory>

#include "opossum/config.hpp"
#include "opossum/export.hpp"
#include "opossum/sdk/maintenance.hpp"

namespace opossum {

// The maintenance of the store `config` names, with the plugins it chooses. PluginError when the
// storage plugin offers none (built for an older SDK, or an engine without it).
OPOSSUM_EXPORT std::shared_ptr<sdk::StorageMaintenance> openStoreMaintenance(
    const StoreConfig& config);

}  // namespace opossum
