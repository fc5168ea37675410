// Projections (SPEC §3): read models kept on disk and updated as events arrive.
//
// A projection folds the events of its types into one state per key. The state type S is stored
// as JSON through a JsonCodec<S> given in the definition; that is the one way to make S storable.
// Write it with the JSON library you like (RapidJSON, nlohmann, hand-written text):
//
//   struct Counter { int count = 0; std::string shop; };
//   ProjectionDefinition<Counter> counters{
//       .name = "sales-per-shop",
//       .eventTypes = {"SaleMade"},
//       .keySelector = [](const SequencedEvent& e) { return shopOf(e); },
//       .apply = [](std::optional<Counter> c, const SequencedEvent& e) -> std::optional<Counter> {
//         Counter next = c.value_or(Counter{0, shopOf(e)});
//         ++next.count;
//         return next;                    // std::nullopt deletes the instance and its tags
//       },
//       .tags = [](const Counter& c) { return std::vector<Tag>{{"shop", c.shop}}; },  // optional
//       .codec = {.toJson = [](const Counter& c) { return toJsonText(c); },
//                 .fromJson = [](std::string_view json) { return counterFromJson(json); }}};
//   ProjectionManager manager({.eventStore = store});
//   manager.registerProjection(counters);
//   ProjectionDaemon daemon(manager, {.pollingInterval = std::chrono::milliseconds(500)});
//   daemon.start();
//   auto shops = manager.getStore<Counter>("sales-per-shop").queryByTag({"shop", "north"});
//
// toJson must return one JSON value (any kind); fromJson receives it back (whitespace may differ).
//
// Where the state lives is the store's engine's choice (sdk::ProjectionStates): the postgres
// engine keeps it in its database, a batch and its checkpoint in one transaction. In files (the
// file engine, an engine without its own, or a manager given a basePath), below basePath, by
// default {rootPath}/{storeName}/projections:
//   {name}/g{N}/state/{key}.json   one file per key: {"format", "projection", "key", "tags",
//   "state"} {name}/g{N}/tags/{tag}/{key}   tag index: one empty marker per key carrying the tag
//   {name}/g{N}/batch.journal      only while a batch is being written (redone after a crash)
//   _checkpoints/{name}.json       checkpoint: the live generation N and the last position applied
//   _checkpoints/{name}.rebuild.json  rebuild journal: the generation being rebuilt and progress
// {name}, {key} and {tag} are injective, case-safe file names (bytes outside [a-z0-9_-] are
// percent-encoded; long names are shortened with a SHA-256). Each batch of changes is written
// through a journal, so states, tag index and checkpoint change together or not at all: no event
// is applied twice after a crash. With flushEventsImmediately the batch is synced before update()
// returns. One ProjectionManager per projections folder at a time.
//
// Vendor projection plugins (sdk::Projection, built against the SDK alone; see
// <opossum/sdk/projection.hpp>) run like in-process projections whose state type is std::string,
// the plugin's JSON text. A manager over a store opened with createEventStoreFromConfig registers
// every plugin its config lists under plugins.projections.libraries when it is created, so the
// daemon and the rebuilder run them with no code in the application:
//
//   // config: "plugins": {"path": ["plugins"], "projections": {"libraries": ["acme-loyalty"]}}
//   auto store = createEventStoreFromConfig("pos.json");
//   ProjectionManager manager({.eventStore = store});        // loads acme-loyalty
//   ProjectionDaemon daemon(manager);
//   daemon.start();
//   auto gold = manager.getStore<std::string>("acme-loyalty").queryByTag({"tier", "gold"});
//
// The projection's name is what the plugin's name() returns (usually its plugin name). Other
// plugins are registered with registerProjectionPlugin(pluginName). The kernel calls one plugin
// object from one thread at a time and keeps its library loaded while the manager lives.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

#include "opossum/errors.hpp"
#include "opossum/event_store.hpp"
#include "opossum/export.hpp"
#include "opossum/sdk/file_system.hpp"
#include "opossum/types.hpp"

namespace opossum {

// How a state S becomes JSON text and back. Both are required.
template <class S>
struct JsonCodec {
  std::function<std::string(const S&)> toJson{};
  std::function<S(std::string_view)> fromJson{};
};

template <class S>
struct ProjectionDefinition {
  std::string name{};                     // unique per manager
  std::vector<std::string> eventTypes{};  // empty: every event
  std::function<std::string(const SequencedEvent&)> keySelector{};
  // The new state from the current one (nullopt: no instance yet); nullopt deletes the instance.
  std::function<std::optional<S>(std::optional<S>, const SequencedEvent&)> apply{};
  std::function<std::vector<Tag>(const S&)> tags{};  // optional: the tags queryByTag uses
  JsonCodec<S> codec{};
};

// Several projections failed in one call (update, rebuildAll); the others went on. what() names
// each failed projection and its error.
class OPOSSUM_EXPORT ProjectionError : public Error {
 public:
  struct Failure {
    std::string projection;
    std::string message;
    std::exception_ptr error;  // the original exception
  };
  explicit ProjectionError(std::vector<Failure> failures);
  ~ProjectionError() override;
  const std::vector<Failure>& failures() const { return failures_; }

 private:
  std::vector<Failure> failures_;
};

namespace detail {

class ProjectionManagerCore;

// A state as the kernel stores it: JSON text and its tags.
struct JsonState {
  std::string json;
  std::vector<Tag> tags;
};

// A projection with its state type erased to JSON; also what a vendor plugin is adapted to.
struct JsonProjection {
  std::string name;
  std::vector<std::string> eventTypes;
  std::function<std::string(const SequencedEvent&)> keySelector;
  std::function<std::optional<JsonState>(const std::optional<std::string>&, const SequencedEvent&)>
      apply;
  std::type_index stateType = typeid(void);  // S, checked by getStore<S>
  std::shared_ptr<const void> definition;    // the ProjectionDefinition<S> it came from
};

// One projection's stored instances, as JSON. Thread-safe.
class OPOSSUM_EXPORT JsonProjectionStore {
 public:
  virtual ~JsonProjectionStore();
  virtual std::optional<std::string> get(const std::string& key) = 0;
  // (key, state) pairs in file-name order.
  virtual std::vector<std::pair<std::string, std::string>> getAll() = 0;
  virtual void save(const std::string& key, const JsonState& state) = 0;
  virtual bool remove(const std::string& key) = 0;  // false when there was no instance
  // Instances carrying every tag (all instances when `tags` is empty).
  virtual std::vector<std::pair<std::string, std::string>> queryByTags(
      const std::vector<Tag>& tags) = 0;
};

template <class S>
JsonProjection eraseProjection(ProjectionDefinition<S> definition) {
  auto shared = std::make_shared<const ProjectionDefinition<S>>(std::move(definition));
  JsonProjection erased;
  erased.name = shared->name;
  erased.eventTypes = shared->eventTypes;
  erased.keySelector = shared->keySelector;
  if (shared->apply && shared->codec.toJson && shared->codec.fromJson) {
    erased.apply = [shared](const std::optional<std::string>& currentJson,
                            const SequencedEvent& event) -> std::optional<JsonState> {
      std::optional<S> current;
      if (currentJson) current = shared->codec.fromJson(*currentJson);
      std::optional<S> next = shared->apply(std::move(current), event);
      if (!next) return std::nullopt;
      JsonState state;
      state.json = shared->codec.toJson(*next);
      if (shared->tags) state.tags = shared->tags(*next);
      return state;
    };
  }
  erased.stateType = typeid(S);
  erased.definition = shared;
  return erased;
}

// InvalidArgumentError: the definition lacks a codec function.
OPOSSUM_EXPORT void requireCodec(const std::string& projection, bool hasToJson, bool hasFromJson);

}  // namespace detail

// The stored instances of one projection, typed. Cheap to copy; stays valid while the manager's
// store lives. Changes made here are not reflected by the checkpoint, and a rebuild replaces them.
template <class S>
class ProjectionStore {
 public:
  ProjectionStore(std::shared_ptr<detail::JsonProjectionStore> store,
                  std::shared_ptr<const ProjectionDefinition<S>> definition)
      : store_(std::move(store)), definition_(std::move(definition)) {}

  std::optional<S> get(const std::string& key) const {
    auto json = store_->get(key);
    if (!json) return std::nullopt;
    return definition_->codec.fromJson(*json);
  }
  std::vector<S> getAll() const { return decode(store_->getAll()); }
  // Every (key, state), in file-name order.
  std::vector<std::pair<std::string, S>> getAllWithKeys() const {
    std::vector<std::pair<std::string, S>> out;
    for (auto& [key, json] : store_->getAll()) {
      out.emplace_back(key, definition_->codec.fromJson(json));
    }
    return out;
  }
  void save(const std::string& key, const S& state) {
    detail::JsonState stored{definition_->codec.toJson(state), {}};
    if (definition_->tags) stored.tags = definition_->tags(state);
    store_->save(key, stored);
  }
  bool remove(const std::string& key) { return store_->remove(key); }
  std::vector<S> queryByTag(const Tag& tag) const { return decode(store_->queryByTags({tag})); }
  // Instances carrying every tag (AND).
  std::vector<S> queryByTags(const std::vector<Tag>& tags) const {
    return decode(store_->queryByTags(tags));
  }

 private:
  std::vector<S> decode(const std::vector<std::pair<std::string, std::string>>& entries) const {
    std::vector<S> out;
    out.reserve(entries.size());
    for (const auto& entry : entries) out.push_back(definition_->codec.fromJson(entry.second));
    return out;
  }

  std::shared_ptr<detail::JsonProjectionStore> store_;
  std::shared_ptr<const ProjectionDefinition<S>> definition_;
};

struct ProjectionManagerOptions {
  std::shared_ptr<EventStore> eventStore{};  // required
  // The projections folder; empty: the store's engine keeps the state (the file engine in
  // {rootPath}/{storeName}/projections). Required when the store does not come from
  // createEventStore / createEventStoreFromConfig; given, the state is in files there.
  std::filesystem::path basePath{};
  // Sync every batch before update() returns; default: the store's flushEventsImmediately.
  std::optional<bool> flushImmediately{};
  // State and checkpoint files read-only; default: the store's writeProtectProjectionFiles.
  std::optional<bool> writeProtectFiles{};
  // The file system of file state (given: the state is in files, under basePath or the default).
  std::shared_ptr<sdk::FileSystem> fileSystem{};  // default: sdk::posixFileSystem()
  // Register the projection plugins listed in the store's config (plugins.projections.libraries)
  // on construction; PluginError from the constructor when one cannot be loaded.
  bool registerConfiguredProjections = true;
};

class OPOSSUM_EXPORT ProjectionManager {
 public:
  explicit ProjectionManager(ProjectionManagerOptions options);
  ~ProjectionManager();
  ProjectionManager(const ProjectionManager&) = delete;
  ProjectionManager& operator=(const ProjectionManager&) = delete;

  // Registers a projection and recovers its files (finishes a batch a crash interrupted).
  // InvalidArgumentError when the name is taken or empty or a function is missing.
  template <class S>
  void registerProjection(ProjectionDefinition<S> definition) {
    detail::requireCodec(definition.name, static_cast<bool>(definition.codec.toJson),
                         static_cast<bool>(definition.codec.fromJson));
    registerJsonProjection(detail::eraseProjection(std::move(definition)));
  }
  void registerJsonProjection(detail::JsonProjection projection);

  // Loads the projection plugin `pluginName` from the store's plugin search path (plugins.path
  // of its config, then OPOSSUM_PLUGIN_PATH, then the installed plugin folder) and registers it
  // with state type std::string (JSON text). Returns the projection's name. PluginError naming
  // the search path when no projection plugin has that name or the library is of another kind;
  // InvalidArgumentError when the projection's name is taken.
  std::string registerProjectionPlugin(const std::string& pluginName);

  // Applies the events (ascending) to every projection, each only past its checkpoint, and moves
  // each checkpoint to the last event's position, relevant or not. A projection being rebuilt is
  // skipped (its checkpoint stays; the rebuild catches up). When some projections fail, the others
  // still advance and ProjectionError names the failures; a failed projection keeps its checkpoint.
  void update(const std::vector<SequencedEvent>& events);

  // InvalidArgumentError when no projection has that name or S is not its state type.
  template <class S>
  ProjectionStore<S> getStore(const std::string& name) {
    auto store = jsonStore(name, typeid(S));
    return ProjectionStore<S>(
        std::move(store),
        std::static_pointer_cast<const ProjectionDefinition<S>>(definitionOf(name)));
  }
  std::shared_ptr<detail::JsonProjectionStore> jsonStore(const std::string& name,
                                                         std::type_index stateType);

  // The position of the last event applied (0 when none).
  Position checkpoint(const std::string& name);
  // False until the projection's first update or rebuild.
  bool hasCheckpoint(const std::string& name);
  // How many states (one per key) the projection holds.
  std::uint64_t stateCount(const std::string& name);
  std::vector<std::string> projectionNames() const;
  const std::filesystem::path& basePath() const;
  EventStore& eventStore() const;

  // For ProjectionDaemon and ProjectionRebuilder.
  const std::shared_ptr<detail::ProjectionManagerCore>& core() const { return core_; }

 private:
  std::shared_ptr<const void> definitionOf(const std::string& name);

  std::shared_ptr<detail::ProjectionManagerCore> core_;
};

struct ProjectionDaemonOptions {
  // Default: plugins.projections.runner.pollingIntervalMs of the store's config, else 5000 ms.
  std::optional<std::chrono::milliseconds> pollingInterval{};
  // Events per read; default: plugins.projections.runner.batchSize, else 1000.
  std::optional<std::size_t> batchSize{};
  // Receives each failure (a ProjectionError, a read error); the daemon keeps running. Called
  // from the daemon's thread; when empty, failures are logged.
  std::function<void(const std::exception&)> onError{};
};

// Runs the manager's projections in the background through the runner plugin named in the
// store's config (plugins.projections.runner), by default "projection-daemon".
class OPOSSUM_EXPORT ProjectionDaemon {
 public:
  // PluginError when the runner plugin cannot be loaded.
  explicit ProjectionDaemon(ProjectionManager& manager, ProjectionDaemonOptions options = {});
  ~ProjectionDaemon();  // stops
  ProjectionDaemon(const ProjectionDaemon&) = delete;
  ProjectionDaemon& operator=(const ProjectionDaemon&) = delete;

  void start();  // idempotent
  void stop();   // idempotent; returns within one polling interval (plus the batch in progress)
  bool running() const;
  std::chrono::milliseconds pollingInterval() const { return pollingInterval_; }
  std::size_t batchSize() const { return batchSize_; }

 private:
  std::shared_ptr<void> runner_;  // sdk::ProjectionRunner, keeps its library loaded
  std::chrono::milliseconds pollingInterval_;
  std::size_t batchSize_;
};

struct ProjectionRebuilderOptions {
  std::size_t batchSize = 5000;       // events per read
  std::size_t flushInterval = 10000;  // events applied between two flushes of state + progress
  // Instances kept in memory besides the unflushed ones.
  std::size_t cacheSize = 10000;
};

struct ProjectionRebuildResult {
  std::string projection;
  std::int64_t durationMs = 0;
  std::size_t eventsProcessed = 0;  // relevant events applied, in this and any resumed run
  std::size_t flushes = 0;          // in this run
  bool resumed = false;             // continued an interrupted rebuild
  Position checkpoint = 0;          // of the committed state
};

struct RebuildAllOptions {
  bool force = false;  // rebuild every projection, not only those without a checkpoint
};

struct ProjectionRebuildAllResult {
  std::vector<ProjectionRebuildResult> rebuilt;
  std::int64_t durationMs = 0;
  std::size_t eventsProcessed = 0;
};

struct ProjectionRebuildStatus {
  std::string projection;
  bool rebuilding = false;   // a rebuild runs in this process now
  bool interrupted = false;  // a rebuild journal waits on disk to be resumed
  Position progress = 0;     // the last event the (interrupted) rebuild flushed
  std::size_t eventsProcessed = 0;
  Position checkpoint = 0;  // of the live state
  bool hasCheckpoint = false;
};

// Rebuilds projections from the whole event stream into a new generation and commits it in one
// atomic step; readers see the old state until then. A rebuild interrupted (error, SIGKILL)
// resumes from its last flush on the next rebuild(name) or rebuildAll(); no event is applied
// twice. Memory stays bounded by flushInterval + cacheSize instances.
class OPOSSUM_EXPORT ProjectionRebuilder {
 public:
  explicit ProjectionRebuilder(ProjectionManager& manager, ProjectionRebuilderOptions options = {});

  ProjectionRebuildResult rebuild(const std::string& name);
  // Without force: the projections without a checkpoint and those with an interrupted rebuild.
  // Every candidate is tried; ProjectionError names the ones that failed.
  ProjectionRebuildAllResult rebuildAll(RebuildAllOptions options = {});
  ProjectionRebuildStatus status(const std::string& name);
  std::vector<ProjectionRebuildStatus> status();

 private:
  std::shared_ptr<detail::ProjectionManagerCore> core_;
  ProjectionRebuilderOptions options_;
};

}  // namespace opossum
