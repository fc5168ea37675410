// The events both systems store: ~300 bytes of JSON payload (a point-of-sale order), two tags and
// a timestamp in the metadata. Both columns get the very same NewEvent values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "opossum/types.hpp"

namespace opossum::bench {

class EventFactory {
 public:
  // Payloads come from a fixed pool so that making an event costs the same in every row.
  explicit EventFactory(std::size_t poolSize = 1024);

  // Event number i: a type from a small set, a pooled payload, the given tags, timestamp now.
  NewEvent make(std::uint64_t i, std::vector<Tag> tags) const;
  double averagePayloadBytes() const;

 private:
  std::vector<std::string> payloads_;
};

// The tags of the events of the read store of `storeSize` events (a multiple of 10): event i
// (position i + 1) carries group g<i mod storeSize/10>, so each group tag matches exactly 10
// events spread over the whole store, and customer c<i mod customers(storeSize)>.
std::vector<Tag> storeTags(std::uint64_t i, std::uint64_t storeSize);
std::uint64_t groupCount(std::uint64_t storeSize);
std::uint64_t customerCount(std::uint64_t storeSize);  // ~100 events per customer
Tag groupTag(std::uint64_t group);
Tag customerTag(std::uint64_t customer);
// The position of the newest event of `customer` in a store built with storeTags.
Position lastPositionOfCustomer(std::uint64_t customer, std::uint64_t storeSize);

}  // namespace opossum::bench
