// appendOne, appendEvents, readAll, readFrom (SPEC §3 helpers) on a real store.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::TempDir;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

std::vector<Position> positions(const std::vector<SequencedEvent>& events) {
  std::vector<Position> out;
  for (const auto& e : events) out.push_back(e.position);
  return out;
}

}  // namespace

TEST_CASE("appendOne and appendEvents return positions; readAll and readFrom read", "[helpers]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "helpers");

  CHECK(appendOne(*store, toNewEvent("A", R"({"n":1})", {{"k", "x"}})) == 1);
  CHECK(appendEvents(*store, {toNewEvent("B", R"({"n":2})"), toNewEvent("A", R"({"n":3})")}) == 3);
  CHECK(appendOne(*store, toNewEvent("B", R"({"n":4})", {{"k", "x"}})) == 4);

  auto all = readAll(*store, Query::all());
  CHECK(positions(all) == std::vector<Position>{1, 2, 3, 4});
  CHECK(all[0].event.eventType == "A");
  CHECK(all[0].event.tags == std::vector<Tag>{{"k", "x"}});
  CHECK(all[0].metadata.timestamp.has_value());

  CHECK(positions(readAll(*store, Query::fromEventTypes({"A"}))) == std::vector<Position>{1, 3});
  CHECK(positions(readAll(*store, Query::fromTags({{"k", "x"}}))) == std::vector<Position>{1, 4});

  // fromPosition is exclusive.
  CHECK(positions(readFrom(*store, Query::all(), 2)) == std::vector<Position>{3, 4});
  CHECK(positions(readFrom(*store, Query::fromEventTypes({"B"}), 2)) == std::vector<Position>{4});
  CHECK(readFrom(*store, Query::all(), 4).empty());
  CHECK(positions(readFrom(*store, Query::all(), 0)) == std::vector<Position>{1, 2, 3, 4});
}

TEST_CASE("appendOne honours its condition and appendEvents its batch rules", "[helpers]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "helpers");
  appendOne(*store, toNewEvent("A", "{}"));

  AppendCondition stale{Query::fromEventTypes({"A"}), std::nullopt};
  CHECK_THROWS_AS(appendOne(*store, toNewEvent("A", "{}"), stale), AppendConditionFailedError);
  AppendCondition fresh{Query::fromEventTypes({"A"}), Position{1}};
  CHECK(appendOne(*store, toNewEvent("A", "{}"), fresh) == 2);

  CHECK_THROWS_AS(appendEvents(*store, {}), InvalidArgumentError);
  CHECK_THROWS_AS(appendEvents(*store, {toNewEvent("A", "{}"), toNewEvent("", "{}")}),
                  InvalidArgumentError);
  CHECK(readAll(*store, Query::all()).size() == 2);
}

TEST_CASE("appendOne and appendEvents pass the stop token on", "[helpers]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "helpers");
  std::stop_source stop;
  stop.request_stop();
  CHECK_THROWS_AS(appendOne(*store, toNewEvent("A", "{}"), std::nullopt, stop.get_token()),
                  CancelledError);
  CHECK_THROWS_AS(appendEvents(*store, {toNewEvent("A", "{}")}, stop.get_token()), CancelledError);
  CHECK(readAll(*store, Query::all()).empty());
}

TEST_CASE("events built with DomainEventBuilder round-trip through the store", "[helpers]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "helpers");
  NewEvent e = DomainEventBuilder(R"({"x":1})", "Built")
                   .withTag("a", "b")
                   .withCorrelationId("c")
                   .withUserId("u")
                   .build();
  Position p = appendOne(*store, e);
  auto read = readAll(*store, Query::fromTags({{"a", "b"}}));
  REQUIRE(read.size() == 1);
  CHECK(read[0].position == p);
  CHECK(read[0].event.eventType == "Built");
  CHECK(read[0].metadata.correlationId == "c");
  CHECK(read[0].metadata.userId == "u");
  CHECK_FALSE(read[0].metadata.causationId.has_value());
}
