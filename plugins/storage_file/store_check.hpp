// The check of `opossum verify` for a file-per-event store: every position 1..head present,
// readable and holding its own position, no stray event files, the ledger and the manifest, and
// the index against the events (through the index's own file check when it has one, else through
// its answers).
#pragma once

#include <optional>
#include <string>

#include "opossum/sdk/maintenance.hpp"
#include "opossum/sdk/storage.hpp"

namespace opossum::plugins::file_storage {

// Under the store lock. `unusable`: why the store could not be opened or read, if it could not
// (reported as a problem of its own).
sdk::CheckReport checkStore(const sdk::StorageContext& context,
                            const std::optional<std::string>& unusable,
                            const sdk::Progress& progress);

}  // namespace opossum::plugins::file_storage
