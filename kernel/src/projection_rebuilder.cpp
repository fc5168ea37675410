// ProjectionRebuilder: replays the event stream into a new generation, flushing state and
// progress together, and makes it live in one atomic commit.
#include <algorithm>
#include <chrono>
#include <limits>

#include "opossum/projections.hpp"
#include "projection_manager.hpp"

namespace opossum {

namespace {

using detail::Generation;
using detail::ProjectionSlot;
using detail::RebuildRecord;

std::int64_t millisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// Clears the slot's rebuilding flag however the rebuild ends.
struct RebuildingFlag {
  explicit RebuildingFlag(ProjectionSlot& slot) : slot_(slot) { slot_.rebuilding = true; }
  ~RebuildingFlag() { slot_.rebuilding = false; }
  RebuildingFlag(const RebuildingFlag&) = delete;
  RebuildingFlag& operator=(const RebuildingFlag&) = delete;
  ProjectionSlot& slot_;
};

}  // namespace

ProjectionRebuilder::ProjectionRebuilder(ProjectionManager& manager,
                                         ProjectionRebuilderOptions options)
    : core_(manager.core()), options_(options) {
  if (options_.batchSize == 0) {
    throw InvalidArgumentError("ProjectionRebuilder: batchSize must be positive");
  }
  if (options_.flushInterval == 0) {
    throw InvalidArgumentError("ProjectionRebuilder: flushInterval must be positive");
  }
}

ProjectionRebuildResult ProjectionRebuilder::rebuild(const std::string& name) {
  const auto started = std::chrono::steady_clock::now();
  auto slotPtr = core_->slot(name);
  ProjectionSlot& slot = *slotPtr;
  std::lock_guard rebuildLock(slot.rebuildMutex);
  detail::ProjectionManagerCore& core = *core_;
  sdk::ProjectionStates& states = core.states();

  RebuildRecord record;
  std::uint64_t liveGeneration = 0;
  {
    std::lock_guard lock(slot.mutex);
    core.ensureOpen(slot);  // finishes what an interrupted rebuild had flushed
    record = core.readRebuild(slot);
    liveGeneration = slot.checkpoint.generation;
  }
  RebuildingFlag flag(slot);

  ProjectionRebuildResult result;
  result.projection = name;
  result.resumed = record.exists && record.generation != liveGeneration;
  if (!result.resumed) {
    record = RebuildRecord{true, std::max(liveGeneration, record.generation) + 1, 0, 0};
    states.removeGeneration(name, record.generation);
    // The record names the new generation before anything is written into it, so a crash
    // leaves nothing that the next start cannot resume or remove.
    states.writeRecord(name, core.rebuildRecord(slot, record), core.generationOptions(false));
  }
  slot.rebuildProgress = record.position;
  slot.rebuildEvents = record.eventsProcessed;

  // Unpublished: readers switch to it only once it is committed below.
  auto building = core.openGeneration(slot, record.generation, options_.cacheSize, true);
  Generation& generation = *building;
  generation.recover();
  if (result.resumed) {
    // The replay may have completed a flush whose progress the record read above predates
    // (a flush that failed after its batch journal was written): resume from what it says now,
    // or the events of that batch are applied twice.
    std::lock_guard lock(slot.mutex);
    RebuildRecord now = core.readRebuild(slot);
    if (now.exists && now.generation == record.generation) record = now;
    slot.rebuildProgress = record.position;
    slot.rebuildEvents = record.eventsProcessed;
  }
  const auto& types = slot.definition.eventTypes;
  const Query query = types.empty() ? Query::all() : Query::fromEventTypes(types);

  Position applied = record.position;
  std::uint64_t processed = record.eventsProcessed;
  std::size_t pending = 0;
  auto flushProgress = [&] {
    RebuildRecord next{true, record.generation, applied, processed};
    generation.flush(core.rebuildRecord(slot, next));
    ++result.flushes;
    pending = 0;
    slot.rebuildProgress = applied;
    slot.rebuildEvents = processed;
  };
  // Applies the events after `applied` up to `limit`; false when the stream is exhausted.
  auto applyBatch = [&](Position limit) {
    ReadOptions read;
    read.fromPosition = applied;
    read.maxCount = options_.batchSize;
    auto events = core.store().read(query, read);
    for (const SequencedEvent& event : events) {
      if (event.position > limit) return false;
      core.applyEvent(slot, generation, event);
      applied = event.position;
      ++processed;
      if (++pending >= options_.flushInterval) flushProgress();
    }
    return events.size() == options_.batchSize;
  };

  try {
    const Position unlimited = std::numeric_limits<Position>::max();
    while (applyBatch(unlimited)) {
    }
    // The last stretch and the commit happen under the projection's lock: no live update can
    // slip in between, and readers switch from the old generation to the new one at once.
    std::lock_guard lock(slot.mutex);
    core.ensureOpen(slot);
    auto last = core.store().readLast(Query::all());
    const Position head = std::max(applied, last ? last->position : Position{0});
    while (applyBatch(head)) {
    }
    detail::CheckpointRecord committed{true, record.generation, head};
    generation.flush(core.checkpointRecord(slot, committed));
    ++result.flushes;
    const std::uint64_t old = slot.checkpoint.generation;
    slot.live = core.openGeneration(slot, record.generation, detail::kLiveCacheSize);
    slot.checkpoint = committed;
    slot.failedAt.reset();
    states.removeRecord(name, sdk::ProjectionRecordKind::rebuild);
    states.removeGeneration(name, old);
    result.checkpoint = head;
  } catch (...) {
    // The flushed progress stays on disk; the next rebuild resumes from it.
    generation.discardDirty();
    throw;
  }
  result.eventsProcessed = processed;
  result.durationMs = millisecondsSince(started);
  return result;
}

ProjectionRebuildAllResult ProjectionRebuilder::rebuildAll(RebuildAllOptions options) {
  const auto started = std::chrono::steady_clock::now();
  ProjectionRebuildAllResult all;
  std::vector<ProjectionError::Failure> failures;
  for (const auto& slot : core_->slots()) {
    const std::string& name = slot->definition.name;
    try {
      if (!options.force) {
        ProjectionRebuildStatus current = status(name);
        if (current.hasCheckpoint && !current.interrupted) continue;
      }
      all.rebuilt.push_back(rebuild(name));
      all.eventsProcessed += all.rebuilt.back().eventsProcessed;
    } catch (const std::exception& e) {
      failures.push_back({name, e.what(), std::current_exception()});
    }
  }
  if (!failures.empty()) throw ProjectionError(std::move(failures));
  all.durationMs = millisecondsSince(started);
  return all;
}

ProjectionRebuildStatus ProjectionRebuilder::status(const std::string& name) {
  auto slot = core_->slot(name);
  ProjectionRebuildStatus status;
  status.projection = name;
  status.rebuilding = slot->rebuilding;
  std::lock_guard lock(slot->mutex);
  core_->ensureOpen(*slot);
  status.checkpoint = slot->checkpoint.position;
  status.hasCheckpoint = slot->checkpoint.exists;
  if (status.rebuilding) {
    status.progress = slot->rebuildProgress;
    status.eventsProcessed = slot->rebuildEvents;
  } else {
    RebuildRecord record = core_->readRebuild(*slot);
    status.interrupted = record.exists;
    status.progress = record.position;
    status.eventsProcessed = record.eventsProcessed;
  }
  return status;
}

std::vector<ProjectionRebuildStatus> ProjectionRebuilder::status() {
  std::vector<ProjectionRebuildStatus> out;
  for (const auto& slot : core_->slots()) out.push_back(status(slot->definition.name));
  return out;
}

}  // namespace opossum
