// A bounded cache of recently written and read events, so hot events are served without opening
// their files. Events never change in place except through tag migrations and deleteStore; the
// storage clears the cache when the ledger says either happened, and an event read before such a
// change is not admitted afterwards (the epoch it was read in has passed). A commit puts its events
// as written (serialized) and the first get decodes them, so appends pay no decoding.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "opossum/types.hpp"

namespace opossum::plugins::file_storage {

class EventCache {
 public:
  using Decode = std::function<SequencedEvent(const std::string&)>;
  EventCache(std::size_t capacityBytes, Decode decode)
      : capacity_(capacityBytes), decode_(std::move(decode)) {}

  std::uint64_t epoch() const;
  std::optional<SequencedEvent> get(Position position);
  // Ignored when the cache was cleared since `epoch` was taken.
  void put(const SequencedEvent& event, std::uint64_t epoch);
  // The event at `position` as the serializer wrote it; decoded when first asked for.
  void putEncoded(Position position, const std::string& encoded, std::uint64_t epoch);
  void clear();

 private:
  struct Entry {
    std::optional<SequencedEvent> event;  // empty until decoded from `encoded`
    std::string encoded;
    std::size_t bytes;
    std::list<Position>::iterator age;
  };
  static std::size_t sizeOf(const SequencedEvent& event);
  void insertLocked(Position position, Entry entry);

  const std::size_t capacity_;
  const Decode decode_;
  mutable std::mutex mutex_;
  std::uint64_t epoch_ = 0;
  std::size_t used_ = 0;
  std::unordered_map<Position, Entry> entries_;
  std::list<Position> ages_;  // most recently used first
};

}  // namespace opossum::plugins::file_storage
