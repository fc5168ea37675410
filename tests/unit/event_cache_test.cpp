#include <catch2/catch.hpp>

#include "event_cache.hpp"

using namespace opossum;
using opossum::plugins::file_storage::EventCache;

namespace {
SequencedEvent event(Position p, std::size_t payloadBytes = 10) {
  return SequencedEvent{{"T", std::string(payloadBytes, 'x'), {{"k", "v"}}}, p, {}};
}
SequencedEvent noDecoding(const std::string&) { throw std::logic_error("nothing to decode"); }
}  // namespace

TEST_CASE("the event cache returns what was put and evicts the least recently used") {
  EventCache cache(5000, noDecoding);  // room for three of these events with their bookkeeping
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
  EventCache cache(1 << 20, noDecoding);
  auto before = cache.epoch();
  cache.put(event(1), before);
  cache.clear();
  REQUIRE_FALSE(cache.get(1));
  cache.put(event(2), before);  // read under the old state of the store
  REQUIRE_FALSE(cache.get(2));
  cache.put(event(3), cache.epoch());
  REQUIRE(cache.get(3));
}

TEST_CASE("an event put as written is decoded once, when first read") {
  int decoded = 0;
  EventCache cache(1 << 20, [&](const std::string& bytes) {
    ++decoded;
    return event(std::stoull(bytes), 10);
  });
  cache.putEncoded(7, "7", cache.epoch());
  CHECK(decoded == 0);
  CHECK(cache.get(7) == event(7, 10));
  CHECK(cache.get(7) == event(7, 10));
  CHECK(decoded == 1);
  CHECK_FALSE(cache.get(8));

  auto before = cache.epoch();
  cache.clear();
  cache.putEncoded(9, "9", before);  // written under the old state of the store
  CHECK_FALSE(cache.get(9));
}
