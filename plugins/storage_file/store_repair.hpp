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

#include "opossum/sdk/storage.hpp"

namespace opossum::plugins::file_storage {

struct RepairOptions {
  // Events after a missing position cannot keep their positions (positions have no gaps): with
  // this they are moved aside, without it the repair changes nothing and says so.
  bool truncateAtGap = false;
};

struct RepairReport {
  Position head = 0;                  // the store's head afterwards
  std::vector<std::string> actions;   // what was done, one line each
  std::vector<std::string> lost;      // what could not be recovered, one line each
  std::filesystem::path asideFolder;  // where damaged files went; empty when none
  bool changed = false;  // false when it stopped without changing anything (see `lost`)
};

using IndexFactory = std::function<std::shared_ptr<sdk::Index>(const std::filesystem::path&)>;

// Takes the store's locks (so no process appends meanwhile; open stores notice the new generation
// and drop what they cached). `makeIndex(folder)` creates an empty index of the configured kind
// over `folder`. Changes nothing (and says why in `lost`) when events after a gap would be left
// out without `truncateAtGap`; ConfigError when the events were written with another serializer.
RepairReport repairStore(const sdk::StorageContext& context, const IndexFactory& makeIndex,
                         const RepairOptions& options);

}  // namespace opossum::plugins::file_storage
