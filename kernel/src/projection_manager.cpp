#include "projection_manager.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <limits>
#include <type_traits>

#include "event_store.hpp"
#include "opossum/sdk/file_names.hpp"
#include "opossum/sdk/json_text.hpp"
#include "opossum/sdk/nesting.hpp"
#include "projection_plugins.hpp"
#include "validation.hpp"

namespace opossum {

namespace {

std::string describeFailures(const std::vector<ProjectionError::Failure>& failures) {
  std::string message = std::to_string(failures.size()) + " projection(s) failed:";
  for (const auto& failure : failures) {
    message += " projection '" + failure.projection + "': " + failure.message + ";";
  }
  message.pop_back();
  return message;
}

}  // namespace

ProjectionError::ProjectionError(std::vector<Failure> failures)
    : Error(describeFailures(failures)), failures_(std::move(failures)) {}
ProjectionError::~ProjectionError() = default;

namespace detail {

JsonProjectionStore::~JsonProjectionStore() = default;

void requireCodec(const std::string& projection, bool hasToJson, bool hasFromJson) {
  if (!hasToJson)
    throw InvalidArgumentError("projection '" + projection + "': codec.toJson is missing");
  if (!hasFromJson) {
    throw InvalidArgumentError("projection '" + projection + "': codec.fromJson is missing");
  }
}

namespace {

constexpr const char* kCheckpointFormat = "opossum-projection-checkpoint";
constexpr const char* kRebuildFormat = "opossum-projection-rebuild";
constexpr int kRecordVersion = 1;

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

void validateKey(const std::string& projection, const std::string& key) {
  const std::string what = "projection '" + projection + "': key";
  if (key.empty()) throw InvalidArgumentError(what + " is empty");
  if (key.find('\0') != std::string::npos) throw InvalidArgumentError(what + " contains NUL");
  if (!isValidUtf8(key)) throw InvalidArgumentError(what + " is not valid UTF-8");
}

// Checks the state a projection produced and makes it storable.
StateEntry toEntry(const std::string& projection, const std::string& key, const JsonState& state) {
  validateKey(projection, key);
  const std::string where = "projection '" + projection + "', key '" + key + "'";
  StateEntry entry;
  entry.key = key;
  for (std::size_t i = 0; i < state.tags.size(); ++i) {
    validateTag(state.tags[i], where + ": tag " + std::to_string(i));
    if (!std::count(entry.tags.begin(), entry.tags.end(), state.tags[i])) {
      entry.tags.push_back(state.tags[i]);
    }
  }
  entry.json = sdk::compactJson(state.json, where + ": state from codec.toJson");
  return entry;
}

std::uint64_t readUnsigned(const rapidjson::Document& doc, const char* name) {
  return doc.HasMember(name) && doc[name].IsUint64() ? doc[name].GetUint64()
                                                     : std::numeric_limits<std::uint64_t>::max();
}

// The record `text` (nullopt when there is none) parsed; CorruptionError naming `where` when it is
// not one.
std::optional<rapidjson::Document> parseRecord(const std::optional<std::string>& text,
                                               const std::string& where, const char* format,
                                               std::initializer_list<const char*> members) {
  if (!text) return std::nullopt;
  rapidjson::Document doc;
  // Records are flat; a deeply nested one is damage, and must not exhaust the parser's stack.
  if (!sdk::jsonNestsDeeperThan(*text, 8)) doc.Parse(text->c_str(), text->size());
  bool ok = !doc.HasParseError() && doc.IsObject() && doc.HasMember("format") &&
            doc["format"].IsString() && std::string(doc["format"].GetString()) == format &&
            readUnsigned(doc, "version") == kRecordVersion;
  for (const char* member : members) {
    ok = ok && readUnsigned(doc, member) != std::numeric_limits<std::uint64_t>::max();
  }
  if (!ok) {
    throw CorruptionError(where + " is not a valid " + format + " record of version " +
                          std::to_string(kRecordVersion));
  }
  return doc;
}

std::string writeRecord(const char* format, const std::string& projection,
                        std::initializer_list<std::pair<const char*, std::uint64_t>> members) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("format");
  writer.String(format);
  writer.Key("version");
  writer.Int(kRecordVersion);
  writer.Key("projection");
  writer.String(projection.data(), static_cast<rapidjson::SizeType>(projection.size()));
  for (const auto& [name, value] : members) {
    writer.Key(name);
    writer.Uint64(value);
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

class SlotStore final : public JsonProjectionStore {
 public:
  SlotStore(std::shared_ptr<ProjectionManagerCore> core, std::shared_ptr<ProjectionSlot> slot)
      : core_(std::move(core)), slot_(std::move(slot)) {}

  std::optional<std::string> get(const std::string& key) override {
    return withLive([&](Generation& live) -> std::optional<std::string> {
      auto entry = live.load(key);
      if (!entry) return std::nullopt;
      return std::move(entry->json);
    });
  }

  std::vector<std::pair<std::string, std::string>> getAll() override {
    return withLive([&](Generation& live) { return pairs(live.all()); });
  }

  void save(const std::string& key, const JsonState& state) override {
    StateEntry entry = toEntry(slot_->definition.name, key, state);
    withLive([&](Generation& live) {
      live.put(std::move(entry));
      live.flush(std::nullopt);
      return 0;
    });
  }

  bool remove(const std::string& key) override {
    return withLive([&](Generation& live) {
      if (!live.load(key)) return false;
      live.erase(key);
      live.flush(std::nullopt);
      return true;
    });
  }

  std::vector<std::pair<std::string, std::string>> queryByTags(
      const std::vector<Tag>& tags) override {
    return withLive([&](Generation& live) { return pairs(live.withTags(tags)); });
  }

 private:
  static std::vector<std::pair<std::string, std::string>> pairs(std::vector<StateEntry> entries) {
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(entries.size());
    for (auto& entry : entries) out.emplace_back(std::move(entry.key), std::move(entry.json));
    return out;
  }

  template <class F>
  std::invoke_result_t<F&, Generation&> withLive(F&& body) {
    std::lock_guard lock(slot_->mutex);
    core_->ensureOpen(*slot_);
    try {
      return body(*slot_->live);
    } catch (...) {
      slot_->live->discardDirty();
      slot_->opened = false;  // recover before the next use
      throw;
    }
  }

  std::shared_ptr<ProjectionManagerCore> core_;
  std::shared_ptr<ProjectionSlot> slot_;
};

class Host final : public sdk::ProjectionHost {
 public:
  Host(std::shared_ptr<ProjectionManagerCore> core, std::chrono::milliseconds retryDelay)
      : core_(std::move(core)), retryDelay_(retryDelay) {}
  std::optional<Position> lowestCheckpoint() override {
    return core_->lowestCheckpoint(retryDelay_);
  }
  std::vector<SequencedEvent> readAfter(Position after, std::size_t maxCount) override {
    return core_->readAfter(after, maxCount);
  }
  void update(const std::vector<SequencedEvent>& events) override {
    core_->update(events, /*contiguous=*/true);
  }

 private:
  std::shared_ptr<ProjectionManagerCore> core_;
  std::chrono::milliseconds retryDelay_;
};

}  // namespace

std::shared_ptr<sdk::ProjectionHost> makeProjectionHost(std::shared_ptr<ProjectionManagerCore> core,
                                                        std::chrono::milliseconds retryDelay) {
  return std::make_shared<Host>(std::move(core), retryDelay);
}

ProjectionManagerCore::ProjectionManagerCore(ProjectionManagerOptions options)
    : store_(std::move(options.eventStore)) {
  if (!store_) throw InvalidArgumentError("ProjectionManager: eventStore is missing");
  bool storeFlush = true;
  bool storeProtect = false;
  sdk::ProjectionStates* engineStates = nullptr;
  if (auto* impl = dynamic_cast<EventStoreImpl*>(store_.get())) {
    storeConfig_ = impl->config();
    storeFlush = storeConfig_->options.flushEventsImmediately;
    storeProtect = storeConfig_->options.writeProtectProjectionFiles;
    engineStates = impl->projectionStates();
  }
  root_ = options.basePath;
  if (root_.empty()) {
    if (!storeConfig_) {
      throw InvalidArgumentError(
          "ProjectionManager: basePath is required for a store not created by createEventStore");
    }
    root_ = storeConfig_->options.rootPath / storeConfig_->options.storeName / "projections";
  }
  if (engineStates != nullptr && options.basePath.empty() && !options.fileSystem) {
    // The store's engine keeps the projections; the capability lives as long as the store.
    states_ = std::shared_ptr<sdk::ProjectionStates>(store_, engineStates);
  } else {
    auto fileSystem = options.fileSystem ? options.fileSystem : sdk::posixFileSystem();
    states_ = sdk::fileProjectionStates(root_, std::move(fileSystem));
  }
  durable_ = options.flushImmediately.value_or(storeFlush);
  writeProtect_ = options.writeProtectFiles.value_or(storeProtect);
}

std::shared_ptr<ProjectionSlot> ProjectionManagerCore::slot(const std::string& name) const {
  std::shared_lock lock(slotsMutex_);
  for (const auto& slot : slots_) {
    if (slot->definition.name == name) return slot;
  }
  throw InvalidArgumentError("no projection named '" + name + "' is registered");
}

std::vector<std::shared_ptr<ProjectionSlot>> ProjectionManagerCore::slots() const {
  std::shared_lock lock(slotsMutex_);
  return slots_;
}

void ProjectionManagerCore::registerProjection(JsonProjection projection) {
  const std::string& name = projection.name;
  if (name.empty()) throw InvalidArgumentError("projection name is empty");
  if (name.find('\0') != std::string::npos || !isValidUtf8(name)) {
    throw InvalidArgumentError("projection name '" + name + "' contains NUL or is not UTF-8");
  }
  if (!projection.keySelector) {
    throw InvalidArgumentError("projection '" + name + "': keySelector is missing");
  }
  if (!projection.apply) throw InvalidArgumentError("projection '" + name + "': apply is missing");
  auto slot = std::make_shared<ProjectionSlot>();
  if (sdk::fileStem(name) == "_checkpoints") {  // the file state's folder of records
    throw InvalidArgumentError("projection name '" + name + "' is reserved");
  }
  slot->definition = std::move(projection);
  std::unique_lock lock(slotsMutex_);
  for (const auto& existing : slots_) {
    if (existing->definition.name == slot->definition.name) {
      throw InvalidArgumentError("projection '" + slot->definition.name +
                                 "' is already registered");
    }
  }
  {
    std::lock_guard slotLock(slot->mutex);
    ensureOpen(*slot);
  }
  slots_.push_back(std::move(slot));
}

sdk::GenerationOptions ProjectionManagerCore::generationOptions(bool unpublished) const {
  return sdk::GenerationOptions{durable_, writeProtect_, unpublished};
}

std::unique_ptr<Generation> ProjectionManagerCore::openGeneration(const ProjectionSlot& slot,
                                                                  std::uint64_t generation,
                                                                  std::size_t cacheSize,
                                                                  bool unpublished) const {
  return std::make_unique<Generation>(
      states_->generation(slot.definition.name, generation, generationOptions(unpublished)),
      cacheSize);
}

CheckpointRecord ProjectionManagerCore::readCheckpoint(const ProjectionSlot& slot) {
  CheckpointRecord record;
  const std::string& name = slot.definition.name;
  auto doc = parseRecord(states_->readRecord(name, sdk::ProjectionRecordKind::checkpoint),
                         "the checkpoint of projection '" + name + "'", kCheckpointFormat,
                         {"generation", "position"});
  if (!doc) return record;
  record.exists = true;
  record.generation = readUnsigned(*doc, "generation");
  record.position = readUnsigned(*doc, "position");
  return record;
}

RebuildRecord ProjectionManagerCore::readRebuild(const ProjectionSlot& slot) {
  RebuildRecord record;
  const std::string& name = slot.definition.name;
  auto doc = parseRecord(states_->readRecord(name, sdk::ProjectionRecordKind::rebuild),
                         "the rebuild record of projection '" + name + "'", kRebuildFormat,
                         {"generation", "position", "eventsProcessed"});
  if (!doc) return record;
  record.exists = true;
  record.generation = readUnsigned(*doc, "generation");
  record.position = readUnsigned(*doc, "position");
  record.eventsProcessed = readUnsigned(*doc, "eventsProcessed");
  return record;
}

sdk::ProjectionRecord ProjectionManagerCore::checkpointRecord(
    const ProjectionSlot& slot, const CheckpointRecord& record) const {
  return {sdk::ProjectionRecordKind::checkpoint,
          writeRecord(kCheckpointFormat, slot.definition.name,
                      {{"generation", record.generation}, {"position", record.position}})};
}

sdk::ProjectionRecord ProjectionManagerCore::rebuildRecord(const ProjectionSlot& slot,
                                                           const RebuildRecord& record) const {
  return {sdk::ProjectionRecordKind::rebuild,
          writeRecord(kRebuildFormat, slot.definition.name,
                      {{"generation", record.generation},
                       {"position", record.position},
                       {"eventsProcessed", record.eventsProcessed}})};
}

void ProjectionManagerCore::ensureOpen(ProjectionSlot& slot) {
  if (slot.opened) return;
  const std::string& name = slot.definition.name;
  CheckpointRecord checkpoint = readCheckpoint(slot);
  RebuildRecord rebuild = readRebuild(slot);
  const bool rebuildingHere = slot.rebuilding.load();
  // Finish the batches a crash interrupted: the live one, then the rebuild's (which may be the
  // commit that makes the rebuilt generation live).
  openGeneration(slot, checkpoint.generation, 0)->recover();
  if (rebuild.exists && !rebuildingHere) {
    openGeneration(slot, rebuild.generation, 0)->recover();
  }
  checkpoint = readCheckpoint(slot);
  if (rebuild.exists && rebuild.generation == checkpoint.generation && !rebuildingHere) {
    // The rebuilt generation was committed; only its record's removal was missing.
    states_->removeRecord(name, sdk::ProjectionRecordKind::rebuild);
    rebuild.exists = false;
  }
  // Generations neither live nor being rebuilt are leftovers of a committed or abandoned rebuild.
  if (!rebuildingHere) {
    for (std::uint64_t generation : states_->generations(name)) {
      if (generation == checkpoint.generation) continue;
      if (rebuild.exists && generation == rebuild.generation) continue;
      states_->removeGeneration(name, generation);
    }
  }
  slot.live = openGeneration(slot, checkpoint.generation, kLiveCacheSize);
  slot.checkpoint = checkpoint;
  slot.opened = true;
}

bool ProjectionManagerCore::relevant(const ProjectionSlot& slot,
                                     const SequencedEvent& event) const {
  const auto& types = slot.definition.eventTypes;
  return types.empty() ||
         std::find(types.begin(), types.end(), event.event.eventType) != types.end();
}

void ProjectionManagerCore::applyEvent(const ProjectionSlot& slot, Generation& generation,
                                       const SequencedEvent& event) {
  const JsonProjection& definition = slot.definition;
  std::string key = definition.keySelector(event);
  validateKey(definition.name, key);
  auto current = generation.load(key);
  std::optional<std::string> currentJson;
  if (current) currentJson = std::move(current->json);
  auto next = definition.apply(currentJson, event);
  if (next) {
    generation.put(toEntry(definition.name, key, *next));
  } else {
    generation.erase(key);
  }
}

void ProjectionManagerCore::update(const std::vector<SequencedEvent>& events, bool contiguous) {
  if (events.empty()) return;
  for (std::size_t i = 1; i < events.size(); ++i) {
    if (events[i].position <= events[i - 1].position) {
      throw InvalidArgumentError("update: event " + std::to_string(i) + " (position " +
                                 std::to_string(events[i].position) +
                                 ") is not after the one before it; events must be ascending");
    }
  }
  const Position last = events.back().position;
  std::vector<ProjectionError::Failure> failures;
  for (const auto& slot : slots()) {
    if (slot->rebuilding) continue;
    std::lock_guard lock(slot->mutex);
    if (slot->rebuilding) continue;
    Position current = 0;
    try {
      ensureOpen(*slot);
      Generation& live = *slot->live;
      const CheckpointRecord start = slot->checkpoint;
      if (start.exists && last <= start.position) continue;
      if (contiguous && events.front().position > start.position + 1) continue;
      std::size_t pending = 0;
      for (const SequencedEvent& event : events) {
        if (start.exists && event.position <= start.position) continue;
        current = event.position;
        if (!relevant(*slot, event)) continue;
        applyEvent(*slot, live, event);
        if (++pending >= kUpdateFlushEvents && event.position != last) {
          CheckpointRecord next{true, start.generation, event.position};
          live.flush(checkpointRecord(*slot, next));
          slot->checkpoint = next;
          pending = 0;
        }
      }
      CheckpointRecord next{true, start.generation, last};
      live.flush(checkpointRecord(*slot, next));
      slot->checkpoint = next;
      slot->failedAt.reset();
    } catch (...) {
      auto error = std::current_exception();
      std::string message = describe(error);
      if (current != 0) message = "event at position " + std::to_string(current) + ": " + message;
      failures.push_back({slot->definition.name, message, error});
      if (slot->live) slot->live->discardDirty();
      slot->opened = false;  // reload the checkpoint and recover before the next use
      slot->failedAt = std::chrono::steady_clock::now();
    }
  }
  if (!failures.empty()) throw ProjectionError(std::move(failures));
}

std::optional<Position> ProjectionManagerCore::lowestCheckpoint(
    std::chrono::milliseconds retryDelay) {
  std::optional<Position> lowest;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& slot : slots()) {
    if (slot->rebuilding) continue;
    std::lock_guard lock(slot->mutex);
    if (slot->failedAt && now - *slot->failedAt < retryDelay) continue;
    ensureOpen(*slot);
    Position position = slot->checkpoint.position;
    if (!lowest || position < *lowest) lowest = position;
  }
  return lowest;
}

std::vector<SequencedEvent> ProjectionManagerCore::readAfter(Position after, std::size_t maxCount) {
  ReadOptions options;
  options.fromPosition = after;
  options.maxCount = maxCount;
  return store_->read(Query::all(), options);
}

}  // namespace detail

ProjectionManager::ProjectionManager(ProjectionManagerOptions options)
    : core_(std::make_shared<detail::ProjectionManagerCore>(options)) {
  if (!options.registerConfiguredProjections || !core_->storeConfig()) return;
  for (const std::string& library : core_->storeConfig()->projections.libraries) {
    registerProjectionPlugin(library);
  }
}

std::string ProjectionManager::registerProjectionPlugin(const std::string& pluginName) {
  auto projection =
      detail::adaptProjectionPlugin(detail::loadProjectionPlugin(*core_, pluginName), pluginName);
  std::string name = projection.name;
  core_->registerProjection(std::move(projection));
  return name;
}

ProjectionManager::~ProjectionManager() = default;

void ProjectionManager::registerJsonProjection(detail::JsonProjection projection) {
  core_->registerProjection(std::move(projection));
}

void ProjectionManager::update(const std::vector<SequencedEvent>& events) { core_->update(events); }

std::shared_ptr<detail::JsonProjectionStore> ProjectionManager::jsonStore(
    const std::string& name, std::type_index stateType) {
  auto slot = core_->slot(name);
  if (slot->definition.stateType != stateType) {
    throw InvalidArgumentError("projection '" + name + "' stores states of type " +
                               slot->definition.stateType.name() + ", not " + stateType.name());
  }
  return std::make_shared<detail::SlotStore>(core_, slot);
}

std::shared_ptr<const void> ProjectionManager::definitionOf(const std::string& name) {
  return core_->slot(name)->definition.definition;
}

Position ProjectionManager::checkpoint(const std::string& name) {
  auto slot = core_->slot(name);
  std::lock_guard lock(slot->mutex);
  core_->ensureOpen(*slot);
  return slot->checkpoint.position;
}

bool ProjectionManager::hasCheckpoint(const std::string& name) {
  auto slot = core_->slot(name);
  std::lock_guard lock(slot->mutex);
  core_->ensureOpen(*slot);
  return slot->checkpoint.exists;
}

std::uint64_t ProjectionManager::stateCount(const std::string& name) {
  auto slot = core_->slot(name);
  std::lock_guard lock(slot->mutex);
  core_->ensureOpen(*slot);
  if (!slot->checkpoint.exists) return 0;
  return slot->live->storedCount();
}

std::vector<std::string> ProjectionManager::projectionNames() const {
  std::vector<std::string> names;
  for (const auto& slot : core_->slots()) names.push_back(slot->definition.name);
  return names;
}

const std::filesystem::path& ProjectionManager::basePath() const { return core_->root(); }

EventStore& ProjectionManager::eventStore() const { return core_->store(); }

}  // namespace opossum
