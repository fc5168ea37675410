// One generation of a projection's instances, as the kernel uses it: changes collect in memory
// and reach the engine's ProjectionGeneration in flush(), together with the record (checkpoint
// or rebuild progress) that says how far they go, as one atomic write; a bounded cache keeps the
// instances read recently. Not thread-safe: the projection's owner serialises calls.
#pragma once

#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "opossum/sdk/projection_state.hpp"
#include "opossum/types.hpp"

namespace opossum::detail {

using StateEntry = sdk::ProjectionInstance;

class Generation {
 public:
  Generation(std::unique_ptr<sdk::ProjectionGeneration> stored, std::size_t cacheSize);

  // Finishes or undoes what a crash interrupted, and forgets what was held in memory.
  void recover();

  // The current instance (unflushed changes included), or nullopt.
  std::optional<StateEntry> load(const std::string& key);
  void put(StateEntry entry);
  void erase(const std::string& key);
  std::size_t dirtyCount() const { return dirty_.size(); }
  // Instances held in memory: unflushed changes plus the cache (bounded by flushing and
  // cacheSize, never by the number of keys).
  std::size_t instancesInMemory() const { return dirty_.size() + cache_.size(); }
  // Writes the changes and then `record` (when given) atomically; a no-op without either.
  void flush(const std::optional<sdk::ProjectionRecord>& record);
  // Forgets unflushed changes (after a failure).
  void discardDirty();

  // Flushed instances only, in the engine's order.
  std::vector<StateEntry> all() { return stored_->all(); }
  // Flushed instances carrying every tag (all when `tags` is empty).
  std::vector<StateEntry> withTags(const std::vector<Tag>& tags) { return stored_->withTags(tags); }
  std::uint64_t storedCount() { return stored_->count(); }

 private:
  struct Change {
    std::optional<StateEntry> next;  // nullopt: delete
    std::vector<Tag> storedTags;     // tags of the flushed instance (empty when none)
  };
  struct CacheNode {
    std::optional<StateEntry> entry;
    std::list<std::string>::iterator lru;
  };

  void cache(const std::string& key, std::optional<StateEntry> entry);
  std::optional<std::optional<StateEntry>> cached(const std::string& key);

  std::unique_ptr<sdk::ProjectionGeneration> stored_;
  std::size_t cacheSize_;
  std::map<std::string, Change> dirty_;  // by key
  std::unordered_map<std::string, CacheNode> cache_;
  std::list<std::string> lru_;  // most recent first
};

}  // namespace opossum::detail
