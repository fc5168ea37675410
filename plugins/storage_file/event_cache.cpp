#include "event_cache.hpp"

namespace opossum::plugins::file_storage {

std::size_t EventCache::sizeOf(const SequencedEvent& event) {
  std::size_t bytes = sizeof(Entry) + 64 + event.event.eventType.size() + event.event.event.size();
  for (const auto& tag : event.event.tags) bytes += sizeof(Tag) + tag.key.size() + tag.value.size();
  for (const auto* field : {&event.metadata.correlationId, &event.metadata.causationId,
                            &event.metadata.operationId, &event.metadata.userId}) {
    if (*field) bytes += (*field)->size();
  }
  return bytes;
}

std::uint64_t EventCache::epoch() const {
  std::lock_guard guard(mutex_);
  return epoch_;
}

std::optional<SequencedEvent> EventCache::get(Position position) {
  std::lock_guard guard(mutex_);
  auto it = entries_.find(position);
  if (it == entries_.end()) return std::nullopt;
  ages_.splice(ages_.begin(), ages_, it->second.age);
  Entry& entry = it->second;
  if (!entry.event) {
    entry.event = decode_(entry.encoded);
    std::string().swap(entry.encoded);
    const std::size_t bytes = sizeOf(*entry.event);
    used_ = used_ - entry.bytes + bytes;
    entry.bytes = bytes;
  }
  return entry.event;
}

void EventCache::put(const SequencedEvent& event, std::uint64_t epoch) {
  std::size_t bytes = sizeOf(event);
  std::lock_guard guard(mutex_);
  if (epoch != epoch_) return;
  insertLocked(event.position, Entry{event, {}, bytes, {}});
}

void EventCache::putEncoded(Position position, const std::string& encoded, std::uint64_t epoch) {
  std::size_t bytes = sizeof(Entry) + 64 + encoded.size();
  std::lock_guard guard(mutex_);
  if (epoch != epoch_) return;
  insertLocked(position, Entry{std::nullopt, encoded, bytes, {}});
}

void EventCache::insertLocked(Position position, Entry entry) {
  if (entry.bytes > capacity_ || entries_.count(position) > 0) return;
  while (used_ + entry.bytes > capacity_ && !ages_.empty()) {
    auto oldest = entries_.find(ages_.back());
    used_ -= oldest->second.bytes;
    entries_.erase(oldest);
    ages_.pop_back();
  }
  ages_.push_front(position);
  entry.age = ages_.begin();
  used_ += entry.bytes;
  entries_.emplace(position, std::move(entry));
}

void EventCache::clear() {
  std::lock_guard guard(mutex_);
  ++epoch_;
  entries_.clear();
  ages_.clear();
  used_ = 0;
}

}  // namespace opossum::plugins::file_storage
