#include "projection_generation.hpp"

namespace opossum::detail {

Generation::Generation(std::unique_ptr<sdk::ProjectionGeneration> stored, std::size_t cacheSize)
    : stored_(std::move(stored)), cacheSize_(cacheSize) {}

void Generation::recover() {
  discardDirty();
  stored_->recover();
}

std::optional<std::optional<StateEntry>> Generation::cached(const std::string& key) {
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.entry;
}

void Generation::cache(const std::string& key, std::optional<StateEntry> entry) {
  if (cacheSize_ == 0) return;
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    it->second.entry = std::move(entry);
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return;
  }
  lru_.push_front(key);
  cache_.emplace(key, CacheNode{std::move(entry), lru_.begin()});
  while (cache_.size() > cacheSize_) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
}

std::optional<StateEntry> Generation::load(const std::string& key) {
  if (auto it = dirty_.find(key); it != dirty_.end()) return it->second.next;
  if (auto hit = cached(key)) return *hit;
  auto entry = stored_->read(key);
  cache(key, entry);
  return entry;
}

void Generation::put(StateEntry entry) {
  auto it = dirty_.find(entry.key);
  if (it == dirty_.end()) {
    auto current = load(entry.key);
    Change change;
    if (current) change.storedTags = current->tags;
    it = dirty_.emplace(entry.key, std::move(change)).first;
  }
  it->second.next = std::move(entry);
}

void Generation::erase(const std::string& key) {
  auto it = dirty_.find(key);
  if (it == dirty_.end()) {
    auto current = load(key);
    if (!current) return;
    Change change;
    change.storedTags = current->tags;
    it = dirty_.emplace(key, std::move(change)).first;
  }
  it->second.next.reset();
}

void Generation::discardDirty() {
  dirty_.clear();
  cache_.clear();
  lru_.clear();
}

void Generation::flush(const std::optional<sdk::ProjectionRecord>& record) {
  if (dirty_.empty() && !record) return;
  // The changes move into the batch and from there into the cache: no instance is copied.
  std::vector<sdk::InstanceChange> changes;
  changes.reserve(dirty_.size());
  for (auto& [key, change] : dirty_) {
    changes.push_back(
        sdk::InstanceChange{key, std::move(change.next), std::move(change.storedTags)});
  }
  dirty_.clear();
  try {
    stored_->write(changes, record);
  } catch (...) {
    // What was stored is unknown until recover() runs; drop every cached belief.
    discardDirty();
    throw;
  }
  for (auto& change : changes) cache(change.key, std::move(change.next));
}

}  // namespace opossum::detail
