// Optional capabilities of storage and index plugins (ABI minor 2), for the operator's tools:
// check a store, repair it, rebuild its indexes, describe it. Like LevelDB's RepairDB and
// GetProperty, they are engine API, so the tools stay engine-neutral; like SQLite's
// xFileControl, an engine that lacks one answers nullptr and the tool says so.
//
// A tool asks for them on a storage created with StorageContext::purpose == maintenance: such a
// storage opens nothing, recovers nothing and refuses nothing at creation (the store may be too
// damaged to open), and only its capabilities are used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "opossum/export.hpp"
#include "opossum/sdk/capability.hpp"
#include "opossum/sdk/index.hpp"
#include "opossum/types.hpp"

namespace opossum::sdk {

// One thing found wrong.
struct Problem {
  std::string item;  // where: a file relative to the store folder, a table, or "(store)"
  std::optional<Position> position;
  std::string message;
};

struct CheckReport {
  Position head = 0;             // the committed head the checks went by
  std::uint64_t eventsRead = 0;  // events that could be read and decoded
  std::vector<Problem> problems;
};

struct RepairOptions {
  // Events after a missing position cannot keep their positions (positions have no gaps): with
  // this they are moved aside, without it the repair changes nothing and says so in `lost`.
  bool truncateAtGap = false;
};

struct RepairReport {
  Position head = 0;                 // the store's head afterwards
  std::vector<std::string> actions;  // what was done, one line each
  std::vector<std::string> lost;     // what could not be recovered, one line each
  std::string asideLocation;         // where damaged data was moved; empty when nowhere
  bool changed = false;              // false when nothing was changed (see `lost`)
};

struct ReindexReport {
  Position events = 0;
  std::size_t eventTypes = 0;
  std::size_t tags = 0;
};

// Called now and then with the positions done and the total.
using Progress = std::function<void(Position done, Position total)>;

// The operator's tools of a storage engine. Each takes what locks it needs, so no writer of any
// process runs meanwhile.
class StorageMaintenance {
 public:
  virtual ~StorageMaintenance() = default;
  // Whether the store exists (maintenance never creates one); CorruptionError when it holds
  // events but not what makes them a store (a missing commit record).
  virtual bool exists() = 0;
  // Reads every committed event and checks the engine's records and indexes against them.
  // Reports what it finds; throws only when it cannot look at all (IoError, lock timeout).
  virtual CheckReport check(const Progress& progress) = 0;
  // Rebuilds what can be rebuilt from the events that survive; moves damaged data aside, never
  // deletes it.
  virtual RepairReport repair(const RepairOptions& options, const Progress& progress) = 0;
  // Rebuilds the derived indexes from the events, `batch` events at a time; open stores of every
  // process take the new index. CorruptionError when an event cannot be read.
  virtual ReindexReport reindex(std::size_t batch, const Progress& progress) = 0;
  // What the engine tells about the store (LevelDB's GetProperty); nullopt for a name it does
  // not know. Names every engine answers: "head" (the committed head, decimal),
  // "serializerFormat" ("<format name> version <n>" of the events as stored, "" when unknown),
  // "bytes" (the store's size on disk or in the database, decimal; may take a while),
  // "location" (where the store is, for people: its folder, or its database and schema).
  virtual std::optional<std::string> property(const std::string& name) = 0;
  // Every name property() answers, those above first.
  virtual std::vector<std::string> propertyNames() = 0;
};

// What an index knows about its own files, for StorageMaintenance::check(): given the committed
// events (nullopt where an event could not be read), reports where its files disagree with them.
// An index without it is checked through its answers to positions().
class IndexCheck {
 public:
  virtual ~IndexCheck() = default;
  // Items are named relative to the index folder; the caller prefixes them.
  virtual std::vector<Problem> checkFiles(std::span<const std::optional<IndexedEvent>> events) = 0;
};

// Helpers for check() implementations.

// "1 2 3 ... (N in all)": at most ten positions of a list, for messages.
OPOSSUM_EXPORT std::string listPositions(const std::vector<Position>& positions);
// The positions each event type and each tag must list, from the events (unreadable ones left
// out); each list ascending.
struct ExpectedLists {
  std::map<std::string, std::vector<Position>> types;
  std::map<Tag, std::vector<Position>> tags;
};
OPOSSUM_EXPORT ExpectedLists expectedLists(std::span<const std::optional<IndexedEvent>> events);
// Adds to `problems` how `got` (ascending; what `item` lists for `what`, or "" for the item
// itself) differs from `expected`: positions missing, positions whose events do not match, and
// positions after `head`. Positions of unreadable events are not held against it.
OPOSSUM_EXPORT void compareLists(std::vector<Problem>& problems, const std::string& item,
                                 const std::string& what, const std::vector<Position>& expected,
                                 std::vector<Position> got,
                                 std::span<const std::optional<IndexedEvent>> events);

template <>
struct CapabilityId<StorageMaintenance> {
  static constexpr Capability value = Capability::storageMaintenance;
};
template <>
struct CapabilityId<IndexCheck> {
  static constexpr Capability value = Capability::indexCheck;
};

}  // namespace opossum::sdk
