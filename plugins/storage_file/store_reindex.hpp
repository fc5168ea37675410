// Rebuilds a file-per-event store's index from its event files (`opossum reindex`): built beside
// the live index and swapped in, so readers keep the old one meanwhile; open stores of every
// process take the new one (the ledger's tagRevision changes).
#pragma once

#include <cstddef>

#include "opossum/sdk/maintenance.hpp"
#include "opossum/sdk/storage.hpp"

namespace opossum::plugins::file_storage {

// Under the store lock. CorruptionError naming the event file when one is missing, unreadable or
// holds another position (nothing is changed then).
sdk::ReindexReport reindexStore(const sdk::StorageContext& context, std::size_t batch,
                                const sdk::Progress& progress);

}  // namespace opossum::plugins::file_storage
