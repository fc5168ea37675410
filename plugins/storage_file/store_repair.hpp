// Rebuilds a damaged file-per-event store from what survives of its events, the journal and the
// event files (as LevelDB's RepairDB does): the ledger, the manifest and the index are derived
// again, event files only in the journal are written, and damaged files are moved aside into a
// folder of their own, never deleted. Nothing is changed when the events cannot be made
// contiguous without leaving some out, unless the caller allows it.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "opossum/sdk/maintenance.hpp"
#include "opossum/sdk/storage.hpp"

namespace opossum::plugins::file_storage {

// Takes the store's locks (so no process appends meanwhile; open stores notice the new generation
// and drop what they cached). The index is rebuilt through `context.makeIndex`. Changes nothing
// (and says why in `lost`) when events after a gap would be left out without `truncateAtGap`;
// ConfigError when the events were written with another serializer.
sdk::RepairReport repairStore(const sdk::StorageContext& context, const sdk::RepairOptions& options,
                              const sdk::Progress& progress);

}  // namespace opossum::plugins::file_storage
