// Many threads on one store, and several Store objects on one directory (SPEC §1: positions,
// append conditions, visibility, several Store objects).
#include <algorithm>
#include <atomic>
#include <barrier>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::contiguityProblem;
using opossum::test::makeEvent;
using opossum::test::payloadNumber;
using opossum::test::TempDir;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

// An event of batch `b` of writer `w`, index `i` of `n`.
NewEvent batchEvent(int w, int b, int i, int n) {
  std::string json = "{\"w\":" + std::to_string(w) + ",\"b\":" + std::to_string(b) +
                     ",\"i\":" + std::to_string(i) + ",\"n\":" + std::to_string(n) + "}";
  return makeEvent(i % 2 == 0 ? "Even" : "Odd", json, {{"writer", std::to_string(w)}});
}

std::vector<NewEvent> batch(int w, int b, int n) {
  std::vector<NewEvent> events;
  for (int i = 0; i < n; ++i) events.push_back(batchEvent(w, b, i, n));
  return events;
}

// "" when every batch in `events` is whole and contiguous, in index order; else the problem.
std::string batchProblem(const std::vector<SequencedEvent>& events) {
  struct Seen {
    long long n = 0;
    long long count = 0;
    Position first = 0;
  };
  std::map<std::pair<long long, long long>, Seen> batches;
  for (const auto& e : events) {
    long long w = payloadNumber(e.event.event, "w");
    long long b = payloadNumber(e.event.event, "b");
    long long i = payloadNumber(e.event.event, "i");
    long long n = payloadNumber(e.event.event, "n");
    if (w < 0 || b < 0 || i < 0 || n <= 0) return "unexpected payload " + e.event.event;
    Seen& s = batches[{w, b}];
    if (s.count == 0) {
      s.n = n;
      s.first = e.position - static_cast<Position>(i);
      if (i != 0)
        return "batch " + std::to_string(w) + "/" + std::to_string(b) + " starts at index " +
               std::to_string(i) + " (position " + std::to_string(e.position) + ")";
    }
    if (e.position != s.first + static_cast<Position>(i)) {
      return "batch " + std::to_string(w) + "/" + std::to_string(b) + " index " +
             std::to_string(i) + " at position " + std::to_string(e.position) + ", expected " +
             std::to_string(s.first + i);
    }
    ++s.count;
  }
  for (const auto& [key, s] : batches) {
    if (s.count != s.n) {
      return "batch " + std::to_string(key.first) + "/" + std::to_string(key.second) + " has " +
             std::to_string(s.count) + " of " + std::to_string(s.n) + " events";
    }
  }
  return "";
}

}  // namespace

TEST_CASE("8 threads appending concurrently get contiguous positions and whole batches",
          "[threads][engines]") {
  bool flush = GENERATE(false, true);
  INFO("flushEventsImmediately " << flush);
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "threads", flush);
  constexpr int kThreads = 8;
  constexpr int kAppends = 60;
  std::mutex mutex;
  std::vector<std::string> failures;
  std::map<std::pair<int, int>, Position> returned;  // (writer, batch) -> last position
  std::atomic<long> total{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 random(w);
      for (int b = 0; b < kAppends; ++b) {
        int n = (b % 3 == 0) ? 1 : 1 + static_cast<int>(random() % 7);
        try {
          Position last = store->append(batch(w, b, n));
          total += n;
          std::lock_guard guard(mutex);
          returned[{w, b}] = last;
        } catch (const std::exception& e) {
          std::lock_guard guard(mutex);
          failures.push_back(e.what());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(failures.empty());

  auto all = store->read(Query::all());
  REQUIRE(all.size() == static_cast<std::size_t>(total.load()));
  REQUIRE(contiguityProblem(all) == "");
  REQUIRE(batchProblem(all) == "");
  // Each append returned the position of its batch's last event.
  for (const auto& [key, last] : returned) {
    const auto& e = all.at(last - 1);
    INFO("writer " << key.first << " batch " << key.second << " returned " << last);
    CHECK(payloadNumber(e.event.event, "w") == key.first);
    CHECK(payloadNumber(e.event.event, "b") == key.second);
    CHECK(payloadNumber(e.event.event, "i") == payloadNumber(e.event.event, "n") - 1);
  }
  // Exactly once: no (writer, batch, index) twice.
  std::set<std::tuple<long long, long long, long long>> seen;
  for (const auto& e : all) {
    seen.insert({payloadNumber(e.event.event, "w"), payloadNumber(e.event.event, "b"),
                 payloadNumber(e.event.event, "i")});
  }
  CHECK(seen.size() == all.size());
  // Each writer's batches are in the order it appended them.
  for (int w = 0; w < kThreads; ++w) {
    auto mine = store->read(Query::fromTags({{"writer", std::to_string(w)}}));
    long long previous = -1;
    for (const auto& e : mine) {
      long long b = payloadNumber(e.event.event, "b");
      REQUIRE(b >= previous);
      previous = b;
    }
  }
}

namespace {

struct RaceResult {
  std::vector<int> winners;    // per round
  std::vector<int> conflicts;  // per round
  std::vector<std::string> failures;
};

// `threads` threads (thread t uses stores[t % stores.size()]) race for each round: read the head,
// then look for the round's claim; if there is none, append one with a condition on the round's tag
// after the head read. With `lockstep`, every thread has read before any appends.
RaceResult race(const std::vector<std::shared_ptr<Store>>& stores, int threads, int rounds,
                bool lockstep) {
  RaceResult result;
  result.winners.assign(rounds, 0);
  result.conflicts.assign(rounds, 0);
  std::mutex mutex;
  std::barrier sync(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      Store& store = *stores[t % stores.size()];
      for (int r = 0; r < rounds; ++r) {
        sync.arrive_and_wait();
        bool claimed = true;
        Position head = 0;
        Query claim = Query::fromTags({{"round", std::to_string(r)}});
        try {
          auto last = store.readLast(Query::all());
          head = last ? last->position : 0;
          claimed = !store.read(claim).empty();
        } catch (const std::exception& e) {
          std::lock_guard guard(mutex);
          result.failures.push_back(e.what());
        }
        // In lockstep every thread decides before any appends: all but one must conflict.
        if (lockstep) sync.arrive_and_wait();
        try {
          if (!claimed) {
            std::string json =
                "{\"round\":" + std::to_string(r) + ",\"t\":" + std::to_string(t) + "}";
            store.append({makeEvent("Claimed", json, {{"round", std::to_string(r)}})},
                         AppendCondition{claim, head});
            std::lock_guard guard(mutex);
            ++result.winners[r];
          }
        } catch (const AppendConditionFailedError&) {
          std::lock_guard guard(mutex);
          ++result.conflicts[r];
        } catch (const std::exception& e) {
          std::lock_guard guard(mutex);
          result.failures.push_back(e.what());
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  return result;
}

void checkOneClaimPerRound(Store& store, const RaceResult& result, int rounds, int threads,
                           bool lockstep) {
  REQUIRE(result.failures.empty());
  int conflicts = 0;
  for (int r = 0; r < rounds; ++r) {
    INFO("round " << r);
    CHECK(result.winners[r] == 1);
    if (lockstep) CHECK(result.conflicts[r] == threads - 1);
    CHECK(store.read(Query::fromTags({{"round", std::to_string(r)}})).size() == 1);
    conflicts += result.conflicts[r];
  }
  auto all = store.read(Query::all());
  CHECK(all.size() == static_cast<std::size_t>(rounds));
  CHECK(contiguityProblem(all) == "");
  // In lockstep every round races; otherwise the race is up to the scheduler.
  if (lockstep) CHECK(conflicts == rounds * (threads - 1));
}

}  // namespace

TEST_CASE("8 threads racing with the same append condition: exactly one winner per round",
          "[threads][condition][engines]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "race", false);
  constexpr int kRounds = 40;
  bool lockstep = GENERATE(true, false);
  INFO("lockstep " << lockstep);
  auto result = race({store}, 8, kRounds, lockstep);
  checkOneClaimPerRound(*store, result, kRounds, 8, lockstep);
}

TEST_CASE("readers never see a gap or a partial batch while writers append",
          "[threads][read][engines]") {
  // Readers use the writers' Store object, or another one over the same directory (like another
  // process, whose index learns the appends from the files).
  bool ownReaderStore = GENERATE(false, true);
  INFO("readers with their own Store object: " << ownReaderStore);
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "visibility", false);
  auto readerStore = ownReaderStore ? opossum::test::openStore(dir.path(), "visibility") : store;
  constexpr int kWriters = 4;
  constexpr int kReaders = 3;
  constexpr int kAppends = 50;
  std::atomic<int> writersLeft{kWriters};
  std::atomic<long> reads{0};
  std::mutex mutex;
  std::vector<std::string> failures;
  auto fail = [&](std::string what) {
    std::lock_guard guard(mutex);
    failures.push_back(std::move(what));
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 random(100 + w);
      try {
        for (int b = 0; b < kAppends; ++b) store->append(batch(w, b, 1 + random() % 8));
      } catch (const std::exception& e) {
        fail(std::string("writer: ") + e.what());
      }
      --writersLeft;
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      std::size_t previous = 0;
      try {
        bool last = false;
        while (!last) {
          last = writersLeft.load() == 0;  // one more read after every writer finished
          std::vector<SequencedEvent> events;
          if (r == 1) {
            // Newest first: the reversed list must be contiguous from 1 too.
            events = readerStore->read(Query::all(), ReadOptions{true, std::nullopt, std::nullopt});
            std::reverse(events.begin(), events.end());
          } else if (r == 2) {
            events = readerStore->read(Query::fromEventTypes({"Even", "Odd"}));
          } else {
            events = readerStore->read(Query::all());
          }
          ++reads;
          if (auto p = contiguityProblem(events); !p.empty()) return fail("reader: " + p);
          if (auto p = batchProblem(events); !p.empty()) return fail("reader: " + p);
          if (events.size() < previous) {
            return fail("reader saw " + std::to_string(events.size()) + " events after " +
                        std::to_string(previous));
          }
          previous = events.size();
          auto newest = readerStore->readLast(Query::all());
          if (newest && newest->position < previous) {
            return fail("readLast gave " + std::to_string(newest->position) + " after reading " +
                        std::to_string(previous) + " events");
          }
        }
      } catch (const std::exception& e) {
        fail(std::string("reader: ") + e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  INFO("reads: " << reads.load());
  for (const auto& f : failures) FAIL_CHECK(f);
  REQUIRE(failures.empty());
  auto all = store->read(Query::all());
  CHECK(contiguityProblem(all) == "");
  CHECK(batchProblem(all) == "");
  CHECK(reads.load() > kReaders);
}

TEST_CASE("two Store objects on one directory behave like two processes",
          "[threads][stores][engines]") {
  TempDir dir;
  auto first = opossum::test::openStore(dir.path(), "shared");
  auto second = opossum::test::openStore(dir.path(), "shared");

  SECTION("each sees the other's appends") {
    REQUIRE(first->append({makeEvent("A", "{\"n\":1}"), makeEvent("B", "{\"n\":2}")}) == 2);
    auto seen = second->read(Query::all());
    REQUIRE(seen.size() == 2);
    CHECK(seen[1].event.eventType == "B");
    REQUIRE(second->append({makeEvent("C", "{\"n\":3}")}) == 3);
    CHECK(first->read(Query::all()).size() == 3);
    auto last = first->readLast(Query::fromEventTypes({"C"}));
    REQUIRE(last);
    CHECK(last->position == 3);
    REQUIRE(first->append({makeEvent("D")}) == 4);
    CHECK(second->readLast(Query::all())->position == 4);
  }

  SECTION("conditions hold across them") {
    first->append({makeEvent("A", "{}", {{"k", "1"}})});
    // `second` decided before `first` appended a matching event.
    CHECK_THROWS_AS(second->append({makeEvent("B")},
                                   AppendCondition{Query::fromTags({{"k", "1"}}), std::nullopt}),
                    AppendConditionFailedError);
    CHECK_THROWS_AS(
        second->append({makeEvent("B")}, AppendCondition{Query::fromEventTypes({"A"}), 0}),
        AppendConditionFailedError);
    CHECK(second->append({makeEvent("B")}, AppendCondition{Query::fromEventTypes({"A"}), 1}) == 2);
    CHECK_THROWS_AS(
        first->append({makeEvent("C")}, AppendCondition{Query::fromEventTypes({"B"}), 1}),
        AppendConditionFailedError);
    CHECK(first->read(Query::all()).size() == 2);
    CHECK(second->read(Query::all()).size() == 2);
  }

  SECTION("threads racing through different objects: one winner per round") {
    auto third = opossum::test::openStore(dir.path(), "shared", false);
    constexpr int kRounds = 25;
    auto result = race({first, second, third}, 6, kRounds, true);
    checkOneClaimPerRound(*first, result, kRounds, 6, true);
  }

  SECTION("after deleteStore through one, the other sees an empty store") {
    first->append({makeEvent("A"), makeEvent("A"), makeEvent("A")});
    REQUIRE(second->read(Query::all()).size() == 3);
    first->deleteStore();
    CHECK(second->read(Query::all()).empty());
    CHECK_FALSE(second->readLast(Query::all()));
    CHECK(second->read(Query::fromEventTypes({"A"})).empty());
    // A condition that the deleted events would have failed passes now.
    REQUIRE(second->append({makeEvent("B", "{\"after\":\"delete\"}")},
                           AppendCondition{Query::fromEventTypes({"A"}), std::nullopt}) == 1);
    auto seen = first->read(Query::all());
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].position == 1);
    CHECK(seen[0].event.eventType == "B");
    CHECK(first->read(Query::fromEventTypes({"A"})).empty());
    REQUIRE(first->append({makeEvent("C")}) == 2);
    CHECK(second->readLast(Query::all())->position == 2);
    // And again the other way round.
    second->deleteStore();
    CHECK(first->read(Query::all()).empty());
    REQUIRE(first->append({makeEvent("D")}) == 1);
    CHECK(second->read(Query::fromEventTypes({"D"})).size() == 1);
    CHECK(second->read(Query::fromEventTypes({"B", "C"})).empty());
  }
}
