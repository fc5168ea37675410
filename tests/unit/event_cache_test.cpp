#include <catch2/catch.hpp>

#include "event_cache.hpp"

using namespace opossum;
using opossum::plugins::file_storage::EventCache;

namespace {
SequencedEvent event(Position p, std::size_t payloadBytes = 10) {
  return SequencedEvent{{"T", std::string(payloadBytes, 'x'), {{"k", "v"}}}, p, {}};
}
}  // namespace

TEST_CASE("the event cache returns what was put and evicts the least recently used") {
  EventCache cache(5000);  // room for three of these events with their bookkeeping
  auto epoch = cache.epoch();
  for (Position p = 1; p <= 3; ++p) cache.put(event(p, 1000), epoch);
  REQUIRE(cache.get(1) == event(1, 1000));  // 1 is now the most recently used
  cache.put(event(4, 1000), epoch);         // over capacity: 2 goes
  REQUIRE(cache.get(1));
  REQUIRE_FALSE(cache.get(2));
  REQUIRE(cache.get(4) == event(4, 1000));
  cache.put(event(5, 100000), epoch);  // larger than the whole cache: not kept
  REQUIRE_FALSE(cache.get(5));
}

TEST_CASE("an event read before a clear is not admitted after it") {
  EventCache cache(1 << 20);
  auto before = cache.epoch();
  cache.put(event(1), before);
  cache.clear();
  REQUIRE_FALSE(cache.get(1));
  cache.put(event(2), before);  // read under the old state of the store
  REQUIRE_FALSE(cache.get(2));
  cache.put(event(3), cache.epoch());
  REQUIRE(cache.get(3));
}
