// The engine behind ProjectionManager, shared with ProjectionDaemon (through the SDK's
// ProjectionHost) and ProjectionRebuilder.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "opossum/config.hpp"
#include "opossum/projections.hpp"
#include "opossum/sdk/projection.hpp"
#include "projection_generation.hpp"

namespace opossum::detail {

// The checkpoint record: the live generation and the last position applied to it.
struct CheckpointRecord {
  bool exists = false;
  std::uint64_t generation = 1;
  Position position = 0;
};

// The rebuild record: a rebuild in progress and what it has flushed.
struct RebuildRecord {
  bool exists = false;
  std::uint64_t generation = 0;
  Position position = 0;  // every relevant event up to here is in the generation
  std::uint64_t eventsProcessed = 0;
};

struct ProjectionSlot {
  JsonProjection definition;
  std::mutex mutex;  // guards everything below
  bool opened = false;
  std::unique_ptr<Generation> live;
  CheckpointRecord checkpoint;
  std::atomic<bool> rebuilding{false};  // a rebuild runs in this process
  std::mutex rebuildMutex;              // one rebuild at a time
  std::atomic<std::uint64_t> rebuildProgress{0};
  std::atomic<std::uint64_t> rebuildEvents{0};
  // When its last update failed: the daemon leaves it out of lowestCheckpoint until a retry is
  // due, so it does not hold the others back.
  std::optional<std::chrono::steady_clock::time_point> failedAt;
};

class ProjectionManagerCore {
 public:
  explicit ProjectionManagerCore(ProjectionManagerOptions options);

  void registerProjection(JsonProjection projection);
  // With `contiguous` (the daemon's reads: every position after the first), a projection whose
  // checkpoint is before the first event's predecessor is left alone instead of missing events.
  void update(const std::vector<SequencedEvent>& events, bool contiguous = false);

  // InvalidArgumentError naming `name` when it is not registered.
  std::shared_ptr<ProjectionSlot> slot(const std::string& name) const;
  std::vector<std::shared_ptr<ProjectionSlot>> slots() const;

  // Recovers the projection's state and loads its checkpoint, once (again after a failure).
  // The caller holds slot.mutex.
  void ensureOpen(ProjectionSlot& slot);

  // Generation `generation` of the projection, as its engine stores it.
  std::unique_ptr<Generation> openGeneration(const ProjectionSlot& slot, std::uint64_t generation,
                                             std::size_t cacheSize, bool unpublished = false) const;
  sdk::GenerationOptions generationOptions(bool unpublished) const;
  sdk::ProjectionStates& states() const { return *states_; }
  CheckpointRecord readCheckpoint(const ProjectionSlot& slot);
  RebuildRecord readRebuild(const ProjectionSlot& slot);
  sdk::ProjectionRecord checkpointRecord(const ProjectionSlot& slot,
                                         const CheckpointRecord& record) const;
  sdk::ProjectionRecord rebuildRecord(const ProjectionSlot& slot,
                                      const RebuildRecord& record) const;

  bool relevant(const ProjectionSlot& slot, const SequencedEvent& event) const;
  // Applies one relevant event to `generation` (in memory until its flush).
  void applyEvent(const ProjectionSlot& slot, Generation& generation, const SequencedEvent& event);

  // Lowest checkpoint of the projections not being rebuilt, leaving out those that failed less
  // than `retryDelay` ago; nullopt when there is none.
  std::optional<Position> lowestCheckpoint(std::chrono::milliseconds retryDelay);
  std::vector<SequencedEvent> readAfter(Position after, std::size_t maxCount);

  EventStore& store() const { return *store_; }
  const std::shared_ptr<EventStore>& storePtr() const { return store_; }
  const std::filesystem::path& root() const { return root_; }
  // The config of the store when it is the kernel's own (createEventStore*), else nullopt.
  const std::optional<StoreConfig>& storeConfig() const { return storeConfig_; }

 private:
  std::shared_ptr<EventStore> store_;
  std::filesystem::path root_;  // of the file projection state, when the engine offers none
  // The engine's projection state, or file state under root_.
  std::shared_ptr<sdk::ProjectionStates> states_;
  bool durable_ = true;
  bool writeProtect_ = false;
  std::optional<StoreConfig> storeConfig_;
  mutable std::shared_mutex slotsMutex_;
  std::vector<std::shared_ptr<ProjectionSlot>> slots_;  // in registration order
};

// Events flushed per batch by update() when it is given more.
inline constexpr std::size_t kUpdateFlushEvents = 10000;
inline constexpr std::size_t kLiveCacheSize = 10000;

// `retryDelay`: how long a failed projection waits before the host offers its events again.
std::shared_ptr<sdk::ProjectionHost> makeProjectionHost(std::shared_ptr<ProjectionManagerCore> core,
                                                        std::chrono::milliseconds retryDelay);

}  // namespace opossum::detail
