// addTags: additive tag migration, visible to queries, conditions and other Store objects, and
// crash-safe (each event ends with all or none of its new tags; the index agrees).
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "child_process.hpp"
#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::makeEvent;

namespace {

std::vector<Tag> regionOf(const SequencedEvent& e) {
  long long n = test::payloadNumber(e.event.event, "n");
  return {{"region", n % 2 == 0 ? "north" : "south"}, {"batch", std::to_string(n / 10)}};
}

void fill(Store& store, int count) {
  std::vector<NewEvent> events;
  for (int i = 0; i < count; ++i) {
    events.push_back(makeEvent(i % 3 == 0 ? "Other" : "SaleRecorded",
                               "{\"n\":" + std::to_string(i) + "}", {{"shop", "s1"}}));
  }
  store.append(events);
}

// Every SaleRecorded has both new tags or neither; queries by the new tags agree with the files.
void checkMigrationConsistent(Store& store) {
  auto all = store.read(Query::all());
  std::set<Position> tagged;
  for (const auto& e : all) {
    bool hasRegion = false, hasBatch = false;
    for (const auto& t : e.event.tags) {
      hasRegion = hasRegion || t.key == "region";
      hasBatch = hasBatch || t.key == "batch";
    }
    REQUIRE(hasRegion == hasBatch);
    if (hasRegion) {
      REQUIRE(e.event.eventType == "SaleRecorded");
      tagged.insert(e.position);
    }
  }
  std::set<Position> byIndex;
  for (const char* region : {"north", "south"}) {
    for (const auto& e : store.read(Query::fromTags({{"region", region}}))) {
      byIndex.insert(e.position);
      REQUIRE(Query::fromTags({{"region", region}}).matches(e.event));
    }
  }
  REQUIRE(byIndex == tagged);
}

}  // namespace

TEST_CASE("addTags adds tags to events of one type, skipping keys they already have", "[engines]") {
  test::usePluginDir();
  test::TempDir dir;
  auto store = test::openStore(dir.path(), "s");
  store->append({makeEvent("SaleRecorded", R"({"n":1})", {{"region", "east"}}),
                 makeEvent("SaleRecorded", R"({"n":2})"), makeEvent("Other", R"({"n":3})")});

  auto result = store->addTags("SaleRecorded", regionOf);
  REQUIRE(result.eventsProcessed == 2);
  REQUIRE(result.tagsAdded == 3);  // event 1 keeps region:east and gains batch:0

  auto events = store->read(Query::all());
  REQUIRE(events[0].event.tags == std::vector<Tag>{{"region", "east"}, {"batch", "0"}});
  REQUIRE(events[1].event.tags == std::vector<Tag>{{"region", "north"}, {"batch", "0"}});
  REQUIRE(events[2].event.tags.empty());

  REQUIRE(store->read(Query::fromTags({{"batch", "0"}})).size() == 2);
  REQUIRE(store->readLast(Query::fromTags({{"region", "north"}}))->position == 2);

  // New tags count in append conditions.
  AppendCondition condition{Query::fromTags({{"region", "north"}}), 1};
  REQUIRE_THROWS_AS(store->append({makeEvent("SaleRecorded", "{}")}, condition),
                    AppendConditionFailedError);

  // Running it again changes nothing.
  REQUIRE(store->addTags("SaleRecorded", regionOf).tagsAdded == 0);
}

TEST_CASE("addTags is seen by another Store object and after reopening", "[engines]") {
  test::usePluginDir();
  test::TempDir dir;
  auto a = test::openStore(dir.path(), "s");
  auto b = test::openStore(dir.path(), "s");
  fill(*a, 30);
  REQUIRE(b->read(Query::fromTags({{"region", "north"}})).empty());  // b caches the empty list
  a->addTags("SaleRecorded", regionOf);
  auto seen = b->read(Query::fromTags({{"region", "north"}}));
  REQUIRE_FALSE(seen.empty());
  REQUIRE(test::openStore(dir.path(), "s")->read(Query::fromTags({{"region", "north"}})) == seen);
  checkMigrationConsistent(*b);
}

TEST_CASE("addTags with a bad tag or a throwing factory changes nothing", "[engines]") {
  test::usePluginDir();
  test::TempDir dir;
  auto store = test::openStore(dir.path(), "s");
  fill(*store, 20);
  // The event files stay as they were (a database engine has none: the reads below check it).
  const bool files = !test::onPostgres();
  if (files) REQUIRE(test::eventuallyExists(dir.path() / "s" / "events" / "000000020.json"));
  auto before =
      files ? test::snapshot(dir.path() / "s" / "events") : decltype(test::snapshot({})){};
  REQUIRE_THROWS_AS(store->addTags("SaleRecorded",
                                   [](const SequencedEvent& e) {
                                     return std::vector<Tag>{{e.position == 5 ? "" : "k", "v"}};
                                   }),
                    InvalidArgumentError);
  REQUIRE_THROWS_AS(store->addTags("SaleRecorded",
                                   [](const SequencedEvent& e) -> std::vector<Tag> {
                                     if (e.position == 8) throw std::runtime_error("boom");
                                     return {{"k", "v"}};
                                   }),
                    std::runtime_error);
  REQUIRE(store->read(Query::fromTags({{"k", "v"}})).empty());
  for (const auto& e : store->read(Query::all())) REQUIRE(e.event.tags.size() == 1);
  if (files) REQUIRE(test::snapshot(dir.path() / "s" / "events") == before);
  std::stop_source stopped;
  stopped.request_stop();
  REQUIRE_THROWS_AS(store->addTags("SaleRecorded", regionOf, stopped.get_token()), CancelledError);
}

TEST_CASE("addTags killed at random moments leaves every event with all or none of its tags",
          "[engines]") {
  test::usePluginDir();
  test::TempDir dir;
  fill(*test::openStore(dir.path(), "s"), 2000);
  std::mt19937 rng(7);
  for (int round = 0; round < 6; ++round) {
    pid_t child = test::forkChild([&] {
      auto store = test::openStore(dir.path(), "s");
      store->addTags("SaleRecorded", regionOf);
      return 0;
    });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution(5, 120)(rng)));
    kill(child, SIGKILL);
    test::waitChild(child);
    auto store = test::openStore(dir.path(), "s");  // recovery finishes an interrupted step
    checkMigrationConsistent(*store);
    // Appends still work and the positions stay contiguous.
    store->append({makeEvent("Other", "{\"n\":1}")});
    REQUIRE(test::contiguityProblem(store->read(Query::all())).empty());
  }
  auto store = test::openStore(dir.path(), "s");
  store->addTags("SaleRecorded", regionOf);
  checkMigrationConsistent(*store);
  REQUIRE(store->read(Query::fromTags({{"region", "north"}})).size() +
              store->read(Query::fromTags({{"region", "south"}})).size() ==
          1333);
}
