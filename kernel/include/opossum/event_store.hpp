// The application API of the event store (SPEC §3).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "opossum/errors.hpp"
#include "opossum/export.hpp"
#include "opossum/plugins.hpp"
#include "opossum/query.hpp"
#include "opossum/types.hpp"

namespace opossum {

class EventStore {
 public:
  virtual ~EventStore() = default;
  // Appends the events as one atomic batch at consecutive positions; returns the last position.
  // With a condition, fails with AppendConditionFailedError (writing nothing) when the store holds
  // an event matching condition->failIfEventsMatch after condition->afterSequencePosition.
  virtual Position append(const std::vector<NewEvent>& events,
                          const std::optional<AppendCondition>& condition = std::nullopt,
                          std::stop_token cancel = {}) = 0;
  virtual std::vector<SequencedEvent> read(const Query& query, const ReadOptions& options = {}) = 0;
  virtual std::optional<SequencedEvent> readLast(const Query& query,
                                                 std::stop_token cancel = {}) = 0;
  // The position of the last committed event, 0 when there is none. Positions have no gaps, so
  // it is also the number of events.
  virtual Position head() {
    auto last = readLast(Query::all());
    return last ? last->position : 0;
  }
};

class EventStoreAdmin {
 public:
  virtual ~EventStoreAdmin() = default;
  virtual void deleteStore(std::stop_token cancel = {}) = 0;
};

class EventStoreMaintenance {
 public:
  virtual ~EventStoreMaintenance() = default;
  // Additive: a tag whose key the event already has is skipped.
  virtual TagMigrationResult addTags(
      const std::string& eventType,
      std::function<std::vector<Tag>(const SequencedEvent&)> tagFactory,
      std::stop_token cancel = {}) = 0;
};

// What a store is made of: the plugins it loaded (storage, serializer, index, in that order) and
// how many events it holds.
struct StoreDescription {
  std::string storeName;
  Position head = 0;
  std::vector<PluginDescription> plugins;
};

class Store : public EventStore, public EventStoreAdmin, public EventStoreMaintenance {
 public:
  virtual StoreDescription describe() = 0;
};

struct EventStoreOptions {
  std::string storeName;  // required; one directory under rootPath
  std::filesystem::path rootPath = "OpossumStore";
  bool flushEventsImmediately = true;
  bool writeProtectEventFiles = false;  // event files read-only after writing
  bool writeProtectProjectionFiles = false;
  std::chrono::milliseconds crossProcessLockTimeout{5000};
};

// Checks one event as append() does (InvalidArgumentError naming the field) and returns it as a
// store keeps it: exact duplicate tags collapsed, the timestamp left as given.
OPOSSUM_EXPORT NewEvent normalizeEvent(const NewEvent& event);

// A store with the default plugin set (file-per-event, json, tag-index).
OPOSSUM_EXPORT std::shared_ptr<Store> createEventStore(const EventStoreOptions& options);
// A store whose options and plugins come from a config file (.json, .ini or .xml).
OPOSSUM_EXPORT std::shared_ptr<Store> createEventStoreFromConfig(
    const std::filesystem::path& configFile);

}  // namespace opossum
