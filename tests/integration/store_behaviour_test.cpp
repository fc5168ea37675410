// The rules of SPEC §1, §2 and §4, end to end through createEventStore on the default plugins.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <stop_token>
#include <string>
#include <vector>

#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::contiguityProblem;
using opossum::test::eventDifference;
using opossum::test::eventuallyExists;
using opossum::test::jsonMismatch;
using opossum::test::makeEvent;
using opossum::test::snapshot;
using opossum::test::TempDir;

namespace fs = std::filesystem;

namespace {

using opossum::test::nanos;
using opossum::test::options;
using opossum::test::positionsOf;

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

std::vector<Position> range(Position from, Position to) {  // inclusive; descending when from > to
  std::vector<Position> out;
  if (from <= to) {
    for (Position p = from; p <= to; ++p) out.push_back(p);
  } else {
    for (Position p = from; p >= to; --p) out.push_back(p);
  }
  return out;
}

struct Fixture {
  TempDir dir;
  std::shared_ptr<Store> store = opossum::test::openStore(dir.path(), "behaviour");
  fs::path storeDir() const { return dir.path() / "behaviour"; }
  // The store's files, to see that a refused append wrote nothing; none on a database engine,
  // where the reads that follow check it.
  std::map<std::string, std::intmax_t> files(const std::string& folder = "") const {
    if (opossum::test::onPostgres()) return {};
    return snapshot(folder.empty() ? storeDir() : storeDir() / folder);
  }
  // Closed and opened again: every file of the appends so far is written, nothing is pending.
  void settle() {
    store.reset();
    store = opossum::test::openStore(dir.path(), "behaviour");
  }
};

// Appends A, B, A, B, ... (`count` events); event i+1 has tag n:i.
void appendAlternating(Store& store, int count) {
  std::vector<NewEvent> events;
  for (int i = 0; i < count; ++i) {
    events.push_back(
        makeEvent(i % 2 == 0 ? "A" : "B", "{\"i\":" + std::to_string(i) + "}",
                  {{"n", std::to_string(i)}, {"parity", i % 2 == 0 ? "even" : "odd"}}));
  }
  store.append(events);
}

}  // namespace

TEST_CASE_METHOD(Fixture, "positions start at 1 and an append's events are consecutive in order",
                 "[behaviour][positions][engines]") {
  CHECK(store->read(Query::all()).empty());
  CHECK_FALSE(store->readLast(Query::all()));
  REQUIRE(store->append({makeEvent("First")}) == 1);
  REQUIRE(store->append({makeEvent("X", "{\"k\":0}"), makeEvent("Y", "{\"k\":1}"),
                         makeEvent("Z", "{\"k\":2}")}) == 4);
  REQUIRE(store->append({makeEvent("Last")}) == 5);
  auto all = store->read(Query::all());
  REQUIRE(positionsOf(all) == range(1, 5));
  CHECK(all[0].event.eventType == "First");
  CHECK(all[1].event.eventType == "X");
  CHECK(all[2].event.eventType == "Y");
  CHECK(all[3].event.eventType == "Z");
  CHECK(all[4].event.eventType == "Last");
}

TEST_CASE_METHOD(Fixture, "reading: order, exclusive fromPosition, maxCount",
                 "[behaviour][read][engines]") {
  appendAlternating(*store, 10);
  const Query all = Query::all();
  CHECK(positionsOf(store->read(all)) == range(1, 10));
  CHECK(positionsOf(store->read(all, options(true))) == range(10, 1));
  // fromPosition is exclusive in both directions.
  CHECK(positionsOf(store->read(all, options(false, 3))) == range(4, 10));
  CHECK(positionsOf(store->read(all, options(true, 3))) == range(10, 4));
  CHECK(positionsOf(store->read(all, options(false, 0))) == range(1, 10));
  CHECK(positionsOf(store->read(all, options(true, 0))) == range(10, 1));
  CHECK(store->read(all, options(false, 10)).empty());
  CHECK(store->read(all, options(true, 10)).empty());
  CHECK(store->read(all, options(false, 50)).empty());
  CHECK(positionsOf(store->read(all, options(false, 9))) == std::vector<Position>{10});
  // maxCount: the oldest N ascending, the newest N descending, 0 gives nothing.
  CHECK(store->read(all, options(false, std::nullopt, 0)).empty());
  CHECK(store->read(all, options(true, std::nullopt, 0)).empty());
  CHECK(store->read(Query::fromEventTypes({"A"}), options(true, 2, 0)).empty());
  CHECK(positionsOf(store->read(all, options(false, std::nullopt, 3))) == range(1, 3));
  CHECK(positionsOf(store->read(all, options(true, std::nullopt, 3))) == range(10, 8));
  CHECK(positionsOf(store->read(all, options(false, std::nullopt, 100))) == range(1, 10));
  CHECK(positionsOf(store->read(all, options(false, 4, 2))) == range(5, 6));
  CHECK(positionsOf(store->read(all, options(true, 4, 2))) == range(10, 9));
  CHECK(positionsOf(store->read(all, options(true, 8, 5))) == range(10, 9));
  // With a query.
  const Query b = Query::fromEventTypes({"B"});
  CHECK(positionsOf(store->read(b)) == std::vector<Position>{2, 4, 6, 8, 10});
  CHECK(positionsOf(store->read(b, options(true))) == std::vector<Position>{10, 8, 6, 4, 2});
  CHECK(positionsOf(store->read(b, options(false, 4))) == std::vector<Position>{6, 8, 10});
  CHECK(positionsOf(store->read(b, options(true, 4))) == std::vector<Position>{10, 8, 6});
  CHECK(positionsOf(store->read(b, options(false, 3, 2))) == std::vector<Position>{4, 6});
  CHECK(positionsOf(store->read(b, options(true, 3, 2))) == std::vector<Position>{10, 8});
  CHECK(positionsOf(store->read(b, options(true, std::nullopt, 1))) == std::vector<Position>{10});
  // The events read are the ones written.
  auto fourth = store->read(all, options(false, 3, 1));
  REQUIRE(fourth.size() == 1);
  CHECK(fourth[0].event.eventType == "B");
  CHECK(jsonMismatch("{\"i\":3}", fourth[0].event.event) == "");
  CHECK(fourth[0].event.tags == std::vector<Tag>{{"n", "3"}, {"parity", "odd"}});
}

TEST_CASE_METHOD(Fixture, "readLast gives the matching event with the highest position",
                 "[behaviour][read][engines]") {
  CHECK_FALSE(store->readLast(Query::fromEventTypes({"A"})));
  appendAlternating(*store, 7);
  auto last = store->readLast(Query::all());
  REQUIRE(last);
  CHECK(last->position == 7);
  last = store->readLast(Query::fromEventTypes({"B"}));
  REQUIRE(last);
  CHECK(last->position == 6);
  CHECK(last->event.eventType == "B");
  last = store->readLast(Query::fromTags({{"n", "2"}}));
  REQUIRE(last);
  CHECK(last->position == 3);
  CHECK_FALSE(store->readLast(Query::fromEventTypes({"C"})));
  CHECK_FALSE(store->readLast(Query::fromTags({{"n", "2"}, {"parity", "odd"}})));
}

TEST_CASE_METHOD(Fixture, "query semantics in the store agree with Query::matches",
                 "[behaviour][query][engines]") {
  std::vector<NewEvent> events{
      makeEvent("OrderPlaced", "{}", {{"customer", "c1"}, {"order", "o1"}}),   // 1
      makeEvent("OrderPlaced", "{}", {{"customer", "C1"}, {"order", "o2"}}),   // 2
      makeEvent("OrderShipped", "{}", {{"customer", "c1"}, {"order", "o1"}}),  // 3
      makeEvent("orderplaced", "{}", {{"Customer", "c1"}}),                    // 4
      makeEvent("Note", "{}", {{"flag", ""}}),                                 // 5
      makeEvent("Note", "{}", {{"flag", "x"}}),                                // 6
      makeEvent("Note", "{}", {}),                                             // 7
      makeEvent("Ünïcødé", "{}", {{"ключ", "значение"}, {"customer", "c1"}}),  // 8
  };
  store->append(events);
  auto all = store->read(Query::all());
  REQUIRE(all.size() == events.size());

  struct Case {
    const char* name;
    Query query;
    std::vector<Position> expected;
  };
  std::vector<Case> cases{
      {"all", Query::all(), range(1, 8)},
      {"default query", Query(), range(1, 8)},
      {"one empty item", Query::fromItems({QueryItem{}}), range(1, 8)},
      {"empty item OR another", Query::fromItems({QueryItem{{"Note"}, {}}, QueryItem{}}),
       range(1, 8)},
      {"fromEventTypes of nothing", Query::fromEventTypes({}), range(1, 8)},
      {"fromTags of nothing", Query::fromTags({}), range(1, 8)},
      {"types OR", Query::fromEventTypes({"OrderPlaced", "OrderShipped"}), {1, 2, 3}},
      {"type case-sensitive", Query::fromEventTypes({"orderplaced"}), {4}},
      {"tags AND", Query::fromTags({{"customer", "c1"}, {"order", "o1"}}), {1, 3}},
      {"one tag", Query::fromTags({{"customer", "c1"}}), {1, 3, 8}},
      {"tag value case-sensitive", Query::fromTags({{"customer", "C1"}}), {2}},
      {"tag key case-sensitive", Query::fromTags({{"Customer", "c1"}}), {4}},
      {"empty tag value", Query::fromTags({{"flag", ""}}), {5}},
      {"tag value x", Query::fromTags({{"flag", "x"}}), {6}},
      {"tags AND, nothing has both", Query::fromTags({{"customer", "c1"}, {"order", "o2"}}), {}},
      {"unicode", Query::fromTags({{"ключ", "значение"}}), {8}},
      {"unicode type", Query::fromEventTypes({"Ünïcødé"}), {8}},
      {"type AND tags in one item",
       Query::fromItems({QueryItem{{"OrderPlaced", "Note"}, {{"customer", "c1"}}}}),
       {1}},
      {"items OR",
       Query::fromItems({QueryItem{{"OrderShipped"}, {}}, QueryItem{{}, {{"flag", "x"}}}}),
       {3, 6}},
      {"overlapping items give each event once",
       Query::fromItems({QueryItem{{}, {{"customer", "c1"}}}, QueryItem{{"OrderPlaced"}, {}}}),
       {1, 2, 3, 8}},
      {"unknown type", Query::fromEventTypes({"Nope"}), {}},
      {"unknown tag", Query::fromTags({{"customer", "c9"}}), {}},
  };
  for (const auto& c : cases) {
    INFO("query: " << c.name);
    auto found = store->read(c.query);
    CHECK(positionsOf(found) == c.expected);
    std::vector<Position> filtered;
    for (const auto& e : all) {
      if (c.query.matches(e.event)) filtered.push_back(e.position);
    }
    CHECK(filtered == c.expected);
    auto last = store->readLast(c.query);
    if (c.expected.empty()) {
      CHECK_FALSE(last);
    } else {
      REQUIRE(last);
      CHECK(last->position == c.expected.back());
    }
    // And as an append condition: fails iff something matches.
    if (!opossum::test::onPostgres()) {
      REQUIRE(eventuallyExists(storeDir() / "events" / "000000008.json"));
    }
    auto before = files("events");
    bool failed = false;
    try {
      store->append({makeEvent("Probe")}, AppendCondition{c.query, std::nullopt});
      store->deleteStore();  // keep the store as it was for the next case
      store->append(events);
    } catch (const AppendConditionFailedError&) {
      failed = true;
    }
    CHECK(failed == !c.expected.empty());
    if (failed) CHECK(files("events") == before);
  }
}

TEST_CASE_METHOD(Fixture, "append conditions", "[behaviour][condition][engines]") {
  appendAlternating(*store, 4);  // A1 B2 A3 B4
  const Query a = Query::fromEventTypes({"A"});
  settle();
  auto before = files();

  SECTION("a matching event after the position fails the append and writes nothing") {
    CHECK_THROWS_AS(store->append({makeEvent("C")}, AppendCondition{a, std::nullopt}),
                    AppendConditionFailedError);
    CHECK_THROWS_AS(store->append({makeEvent("C")}, AppendCondition{a, 0}),
                    AppendConditionFailedError);
    CHECK_THROWS_AS(store->append({makeEvent("C"), makeEvent("C")}, AppendCondition{a, 2}),
                    AppendConditionFailedError);
    CHECK_THROWS_AS(store->append({makeEvent("C")}, AppendCondition{Query::all(), 3}),
                    AppendConditionFailedError);
    CHECK(files() == before);
    CHECK(store->read(Query::all()).size() == 4);
    CHECK(store->append({makeEvent("C")}) == 5);
  }
  SECTION("the message of a failed condition says what matched") {
    try {
      store->append({makeEvent("C")}, AppendCondition{a, 1});
      FAIL("no AppendConditionFailedError");
    } catch (const AppendConditionFailedError& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).find('3') != std::string::npos);
    }
  }
  SECTION("matching events only at or before the position pass") {
    CHECK(store->append({makeEvent("C")}, AppendCondition{a, 3}) == 5);
    CHECK(store->append({makeEvent("C")}, AppendCondition{Query::all(), 5}) == 6);
  }
  SECTION("afterSequencePosition may exceed the head") {
    CHECK(store->append({makeEvent("C")}, AppendCondition{a, 100}) == 5);
    CHECK(store->append({makeEvent("C")}, AppendCondition{Query::all(), 1000000}) == 6);
  }
  SECTION("a condition that never matches passes") {
    CHECK(store->append({makeEvent("C")},
                        AppendCondition{Query::fromEventTypes({"Z"}), std::nullopt}) == 5);
    CHECK(store->append({makeEvent("C")},
                        AppendCondition{Query::fromTags({{"n", "0"}, {"parity", "odd"}}),
                                        std::nullopt}) == 6);
    CHECK(store->append({makeEvent("C")},
                        AppendCondition{Query::fromTags({{"N", "0"}}), std::nullopt}) == 7);
  }
  SECTION("a condition sees the store, not the batch it guards") {
    Query d = Query::fromEventTypes({"D"});
    CHECK(store->append({makeEvent("D"), makeEvent("D")}, AppendCondition{d, std::nullopt}) == 6);
    CHECK_THROWS_AS(store->append({makeEvent("D")}, AppendCondition{d, std::nullopt}),
                    AppendConditionFailedError);
    CHECK(store->append({makeEvent("D")}, AppendCondition{d, 6}) == 7);
  }
  SECTION("a condition on tags") {
    CHECK_THROWS_AS(
        store->append({makeEvent("C")}, AppendCondition{Query::fromTags({{"parity", "odd"}}), 3}),
        AppendConditionFailedError);
    CHECK(store->append({makeEvent("C")},
                        AppendCondition{Query::fromTags({{"parity", "even"}}), 3}) == 5);
  }
}

TEST_CASE_METHOD(Fixture, "exact duplicate tags are collapsed, order kept",
                 "[behaviour][tags][engines]") {
  store->append({makeEvent("T", "{}",
                           {{"b", "1"},
                            {"a", "1"},
                            {"b", "1"},
                            {"a", "2"},
                            {"a", "1"},
                            {"B", "1"},
                            {"b", ""},
                            {"b", ""}})});
  auto e = store->readLast(Query::all());
  REQUIRE(e);
  CHECK(e->event.tags ==
        std::vector<Tag>{{"b", "1"}, {"a", "1"}, {"a", "2"}, {"B", "1"}, {"b", ""}});
  CHECK(store->read(Query::fromTags({{"a", "1"}, {"a", "2"}})).size() == 1);
}

TEST_CASE_METHOD(Fixture, "metadata round trip", "[behaviour][metadata][engines]") {
  SECTION("absent fields stay absent; the timestamp is stamped at append time") {
    auto start = std::chrono::system_clock::now();
    store->append({makeEvent("M")});
    auto end = std::chrono::system_clock::now();
    auto e = store->readLast(Query::all());
    REQUIRE(e);
    CHECK_FALSE(e->metadata.correlationId);
    CHECK_FALSE(e->metadata.causationId);
    CHECK_FALSE(e->metadata.operationId);
    CHECK_FALSE(e->metadata.userId);
    REQUIRE(e->metadata.timestamp);
    // Kept to at least millisecond precision.
    CHECK(*e->metadata.timestamp >= start - std::chrono::milliseconds(1));
    CHECK(*e->metadata.timestamp <= end + std::chrono::milliseconds(1));
  }
  SECTION("given fields are kept exactly, timestamps to the nanosecond") {
    Metadata m;
    m.timestamp = nanos(1'796'000'523'123'456'789);
    m.correlationId = "corr-Ü";
    m.causationId = "";
    m.operationId = "op \"quoted\" \\ slash";
    m.userId = "user-1";
    Metadata old;
    old.timestamp = nanos(86'400'000'000'001);  // 1970-01-02, 1 ns past the second
    old.userId = "u";
    store->append({makeEvent("M", "{}", {}, m), makeEvent("M", "{}", {}, old)});
    auto all = store->read(Query::all());
    REQUIRE(all.size() == 2);
    CHECK(all[0].metadata == m);
    CHECK(all[1].metadata == old);
    REQUIRE(all[0].metadata.causationId.has_value());
    CHECK(all[0].metadata.causationId->empty());
  }
  SECTION("each field alone") {
    std::vector<NewEvent> events;
    for (int which = 0; which < 4; ++which) {
      Metadata m;
      m.timestamp = nanos(1'700'000'000'000'000'000 + which);
      if (which == 0) m.correlationId = "c";
      if (which == 1) m.causationId = "c";
      if (which == 2) m.operationId = "o";
      if (which == 3) m.userId = "u";
      events.push_back(makeEvent("M", "{}", {}, m));
    }
    store->append(events);
    auto all = store->read(Query::all());
    REQUIRE(all.size() == 4);
    for (int which = 0; which < 4; ++which) CHECK(all[which].metadata == events[which].metadata);
  }
}

TEST_CASE_METHOD(Fixture, "payload round trip", "[behaviour][payload][engines]") {
  std::vector<std::string> payloads{
      "{}",
      R"({"z":1,"a":2,"m":3,"b":{"y":1,"x":2}})",
      R"({"text":"ü 日本 😀 \u00e9 \"q\" \\ \/ \n\t","esc":"\u0001"})",
      R"({"nul":"a\u0000b","ctl":"\u001f"})",
      R"({"int":0,"neg":-17,"big":12345678901234567890,"min":-9223372036854775808,"frac":1.5,)"
      R"("exp":1e10,"small":-2.5e-7,"pi":3.141592653589793})",
      R"({"t":true,"f":false,"n":null,"arr":[1,"two",[3],{"four":4},null],"empty":[],"eo":{}})",
      "  {\n  \"spaced\" :  [ 1 , 2 ]\n}  ",
  };
  std::vector<NewEvent> events;
  for (const auto& p : payloads) events.push_back(makeEvent("P", p));
  store->append(events);
  auto all = store->read(Query::all());
  REQUIRE(all.size() == payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    INFO("payload " << i);
    CHECK(jsonMismatch(payloads[i], all[i].event.event) == "");
  }
  // A large payload.
  std::string large = "{\"items\":[";
  for (int i = 0; i < 20000; ++i) large += (i ? "," : "") + std::to_string(i);
  large += "]}";
  store->append({makeEvent("Large", large)});
  auto back = store->readLast(Query::fromEventTypes({"Large"}));
  REQUIRE(back);
  CHECK(jsonMismatch(large, back->event.event) == "");
}

TEST_CASE_METHOD(Fixture, "types and tags that look alike as file names stay apart",
                 "[behaviour][query][engines]") {
  std::vector<std::string> values{"a/b", "a%2Fb", "a%2fb", "..",  ".",   "a b",       "a~b",
                                  "A/B", "a\\b",  "a:b",   "a=b", "é",   "e\xcc\x81", "",
                                  "con", "CON",   "a.idx", "a*b", "a?b", "a\tb"};
  std::vector<NewEvent> events;
  for (std::size_t i = 0; i < values.size(); ++i) {
    events.push_back(makeEvent("T" + values[i], "{\"i\":" + std::to_string(i) + "}",
                               {{"k", values[i]}, {values[i].empty() ? "e" : values[i], "v"}}));
  }
  store->append(events);
  for (std::size_t i = 0; i < values.size(); ++i) {
    INFO("value '" << values[i] << "'");
    CHECK(positionsOf(store->read(Query::fromTags({{"k", values[i]}}))) ==
          std::vector<Position>{i + 1});
    CHECK(positionsOf(store->read(Query::fromEventTypes({"T" + values[i]}))) ==
          std::vector<Position>{i + 1});
    if (!values[i].empty()) {
      CHECK(positionsOf(store->read(Query::fromTags({{values[i], "v"}}))) ==
            std::vector<Position>{i + 1});
    }
  }
}

TEST_CASE("event types and tags at the size limits are accepted", "[behaviour][validation]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "limits");
  std::string type256(256, 't');
  std::string type256utf8;
  while (type256utf8.size() < 256) type256utf8 += "é";  // 2 bytes each: exactly 256
  std::string key1024(1024, 'k');
  std::string value1024(1024, 'v');
  REQUIRE(store->append({makeEvent(type256), makeEvent(type256utf8),
                         makeEvent("T", "{}", {{key1024, value1024}, {"k", ""}})}) == 3);
  CHECK(store->read(Query::fromEventTypes({type256})).size() == 1);
  CHECK(store->read(Query::fromEventTypes({type256utf8})).size() == 1);
  CHECK(store->read(Query::fromTags({{key1024, value1024}})).size() == 1);
  // A tag differing from the long one in its last byte is another tag.
  std::string other = value1024;
  other.back() = 'w';
  CHECK(store->read(Query::fromTags({{key1024, other}})).empty());
  CHECK(store->read(Query::fromTags({{"k", ""}})).size() == 1);
}

TEST_CASE("bad events are refused with InvalidArgumentError naming the event, leaving no trace",
          "[behaviour][validation]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "bad");
  store->append({makeEvent("Seed", "{}", {{"k", "v"}})});
  store.reset();  // settles the files of the append
  store = opossum::test::openStore(dir.path(), "bad");
  const fs::path storeDir = dir.path() / "bad";
  const auto before = snapshot(storeDir);
  const auto ledger = [&] {
    std::ifstream in(storeDir / "ledger.json");
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string ledgerBefore = ledger();

  struct Bad {
    std::string name;
    NewEvent event;
  };
  auto withTag = [](Tag tag) { return makeEvent("T", "{}", {{"ok", "1"}, std::move(tag)}); };
  std::vector<Bad> cases{
      {"empty type", makeEvent("")},
      {"type of 257 bytes", makeEvent(std::string(257, 't'))},
      {"NUL in type", makeEvent(std::string("a\0b", 3))},
      {"invalid UTF-8 in type", makeEvent("bad\xff")},
      {"overlong UTF-8 in type", makeEvent("bad\xc0\xaf")},
      {"UTF-16 surrogate in type", makeEvent("bad\xed\xa0\x80")},
      {"truncated UTF-8 in type", makeEvent("bad\xe2\x82")},
      {"empty tag key", withTag({"", "v"})},
      {"tag key of 1025 bytes", withTag({std::string(1025, 'k'), "v"})},
      {"tag value of 1025 bytes", withTag({"k", std::string(1025, 'v')})},
      {"NUL in tag key", withTag({std::string("k\0k", 3), "v"})},
      {"NUL in tag value", withTag({"k", std::string("v\0", 2)})},
      {"invalid UTF-8 in tag key", withTag({"k\x80", "v"})},
      {"invalid UTF-8 in tag value", withTag({"k", "\xfe"})},
      {"empty payload", makeEvent("T", "")},
      {"blank payload", makeEvent("T", "   ")},
      {"payload not JSON", makeEvent("T", "not json")},
      {"payload an array", makeEvent("T", "[1,2]")},
      {"payload a number", makeEvent("T", "42")},
      {"payload a string", makeEvent("T", "\"text\"")},
      {"payload null", makeEvent("T", "null")},
      {"payload with trailing text", makeEvent("T", "{\"a\":1} x")},
      {"payload with a second object", makeEvent("T", "{\"a\":1}{}")},
      {"payload unterminated", makeEvent("T", "{\"a\":")},
      {"payload single quotes", makeEvent("T", "{'a':1}")},
      {"payload trailing comma", makeEvent("T", "{\"a\":1,}")},
      {"payload invalid UTF-8", makeEvent("T", "{\"a\":\"\xff\"}")},
      {"payload with NUL", makeEvent("T", std::string("{\"a\":1}\0", 8))},
  };
  for (const auto& c : cases) {
    for (std::size_t index : {0, 2}) {
      INFO("case: " << c.name << ", at index " << index);
      std::vector<NewEvent> batch{makeEvent("Good", "{}", {{"k", "v"}}),
                                  makeEvent("Good", "{\"x\":1}"), makeEvent("Good")};
      batch[index] = c.event;
      std::string message;
      try {
        store->append(batch);
      } catch (const InvalidArgumentError& e) {
        message = e.what();
      } catch (const std::exception& e) {
        FAIL_CHECK("wrong error type: " << e.what());
      }
      INFO("message: " << message);
      REQUIRE_FALSE(message.empty());
      CHECK(message.find("event " + std::to_string(index)) != std::string::npos);
      // With a condition too: validation comes first.
      CHECK_THROWS_AS(store->append(batch, AppendCondition{Query::all(), 100}),
                      InvalidArgumentError);
    }
  }
  // An empty list.
  CHECK_THROWS_AS(store->append({}), InvalidArgumentError);
  CHECK_THROWS_AS(store->append({}, AppendCondition{Query::all(), std::nullopt}),
                  InvalidArgumentError);
  CHECK(snapshot(storeDir) == before);
  CHECK(ledger() == ledgerBefore);
  auto all = store->read(Query::all());
  REQUIRE(all.size() == 1);
  CHECK(store->append({makeEvent("After")}) == 2);
}

TEST_CASE("bad store names are refused and leave no trace", "[behaviour][validation]") {
  TempDir dir;
  const auto before = snapshot(dir.path());
  for (std::string name :
       {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
        std::string("/abs"), std::string("a\\b"), std::string("a\0b", 3), std::string("bad\xff")}) {
    INFO("store name '" << name << "' (" << name.size() << " bytes)");
    EventStoreOptions options;
    options.storeName = name;
    options.rootPath = dir.path() / "root";
    std::string message;
    try {
      createEventStore(options);
    } catch (const InvalidArgumentError& e) {
      message = e.what();
    } catch (const std::exception& e) {
      FAIL_CHECK("wrong error type: " << e.what());
    }
    INFO("message: " << message);
    CHECK(message.find("storeName") != std::string::npos);
    CHECK(snapshot(dir.path()) == before);
  }
}

TEST_CASE("bad options are refused with InvalidArgumentError naming the option",
          "[behaviour][validation]") {
  TempDir dir;
  const auto before = snapshot(dir.path());
  EventStoreOptions options;
  options.storeName = "s";
  options.rootPath = dir.path() / "root";
  options.crossProcessLockTimeout = std::chrono::milliseconds(-1);
  try {
    createEventStore(options);
    FAIL("a negative crossProcessLockTimeout was accepted");
  } catch (const InvalidArgumentError& e) {
    CHECK(std::string(e.what()).find("crossProcessLockTimeout") != std::string::npos);
  }
  options.crossProcessLockTimeout = std::chrono::milliseconds(100);
  options.rootPath = "";
  try {
    createEventStore(options);
    FAIL("an empty rootPath was accepted");
  } catch (const InvalidArgumentError& e) {
    CHECK(std::string(e.what()).find("rootPath") != std::string::npos);
  }
  CHECK(snapshot(dir.path()) == before);
}

TEST_CASE_METHOD(Fixture, "the layout of SPEC §4 exists after the first append",
                 "[behaviour][layout]") {
  store->append({makeEvent("Layout", "{\"v\":1}", {{"k", "a"}, {"k", "A"}})});
  const fs::path d = storeDir();
  // Written from the journal in the background: soon after the append, and all at close.
  REQUIRE(eventuallyExists(d / "events" / "000000001.json"));
  CHECK(fs::is_regular_file(d / "events" / "000000001.json"));
  REQUIRE(eventuallyExists(d / "indices" / "tags" / "k=%41.idx"));
  REQUIRE(eventuallyExists(d / "indices" / "tags" / "k=a.idx"));
  CHECK(fs::is_directory(d / "indices" / "event-types"));
  CHECK(fs::is_directory(d / "indices" / "tags"));
  CHECK(fs::is_directory(d / "indices" / "positions"));
  CHECK(fs::is_regular_file(d / "ledger.json"));
  CHECK(fs::exists(d / ".store.lock"));
  // Index files are per type and per tag, and two tags differing in case have two files.
  CHECK(std::distance(fs::directory_iterator(d / "indices" / "event-types"), {}) >= 1);
  CHECK(std::distance(fs::directory_iterator(d / "indices" / "tags"), {}) >= 2);
  // The event file is human-readable JSON naming type, payload and position.
  std::ifstream in(d / "events" / "000000001.json");
  std::string text(std::istreambuf_iterator<char>(in), {});
  CHECK(text.find("Layout") != std::string::npos);
  CHECK(text.find("\"v\"") != std::string::npos);
  CHECK(jsonMismatch(text, text) == "");  // valid JSON
  store->append({makeEvent("Layout"), makeEvent("Layout")});
  store.reset();  // closing writes every file that is still only in the journal
  CHECK(fs::is_regular_file(d / "events" / "000000003.json"));
  store = opossum::test::openStore(dir.path(), "behaviour");
  CHECK(store->read(Query::fromTags({{"k", "a"}})).size() == 1);
  CHECK(store->read(Query::fromTags({{"k", "A"}})).size() == 1);
}

TEST_CASE("writeProtectEventFiles makes event files read-only; deleteStore still works",
          "[behaviour][layout]") {
  TempDir dir;
  EventStoreOptions options;
  options.storeName = "protected";
  options.rootPath = dir.path();
  options.writeProtectEventFiles = true;
  auto store = createEventStore(options);
  store->append({makeEvent("P"), makeEvent("P")});
  REQUIRE(eventuallyExists(dir.path() / "protected" / "events" / "000000002.json"));
  for (const char* file : {"000000001.json", "000000002.json"}) {
    struct stat st;
    REQUIRE(::stat((dir.path() / "protected" / "events" / file).c_str(), &st) == 0);
    INFO(file << " mode " << std::oct << (st.st_mode & 0777));
    CHECK((st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0);
  }
  store->deleteStore();
  CHECK_FALSE(fs::exists(dir.path() / "protected" / "events" / "000000001.json"));
  CHECK(store->read(Query::all()).empty());
  REQUIRE(store->append({makeEvent("Again")}) == 1);
  CHECK(store->read(Query::all()).size() == 1);
}

TEST_CASE_METHOD(Fixture, "a stop_token already stopped cancels, writing nothing",
                 "[behaviour][cancel]") {
  store->append({makeEvent("Before")});
  settle();
  const auto before = snapshot(storeDir());
  std::stop_source stop;
  stop.request_stop();
  CHECK_THROWS_AS(store->append({makeEvent("Cancelled")}, std::nullopt, stop.get_token()),
                  CancelledError);
  CHECK_THROWS_AS(
      store->append({makeEvent("Cancelled")},
                    AppendCondition{Query::fromEventTypes({"X"}), std::nullopt}, stop.get_token()),
      CancelledError);
  CHECK_THROWS_AS(store->readLast(Query::all(), stop.get_token()), CancelledError);
  CHECK_THROWS_AS(store->deleteStore(stop.get_token()), CancelledError);
  CHECK(snapshot(storeDir()) == before);
  auto all = store->read(Query::all());
  REQUIRE(all.size() == 1);
  CHECK(all[0].event.eventType == "Before");
  CHECK(store->append({makeEvent("After")}) == 2);
}

TEST_CASE("events persist across reopening the store", "[behaviour][persistence][engines]") {
  TempDir dir;
  std::vector<SequencedEvent> written;
  {
    auto store = opossum::test::openStore(dir.path(), "persist");
    Metadata m;
    m.correlationId = "c";
    m.timestamp = nanos(1'796'000'523'123'456'789);
    store->append({makeEvent("A", "{\"a\":1}", {{"t", "1"}}, m), makeEvent("B", "{\"b\":[2]}")});
    store->append({makeEvent("C", "{}", {{"t", "1"}, {"u", ""}})});
    written = store->read(Query::all());
    REQUIRE(written.size() == 3);
  }
  auto store = opossum::test::openStore(dir.path(), "persist", false);
  auto read = store->read(Query::all());
  REQUIRE(read.size() == written.size());
  for (std::size_t i = 0; i < read.size(); ++i) {
    CHECK(eventDifference(written[i], read[i]) == "");
    CHECK(read[i].metadata == written[i].metadata);
  }
  CHECK(positionsOf(store->read(Query::fromTags({{"t", "1"}}))) == std::vector<Position>{1, 3});
  CHECK(store->append({makeEvent("D")}, AppendCondition{Query::fromTags({{"t", "1"}}), 3}) == 4);
  CHECK_THROWS_AS(
      store->append({makeEvent("D")}, AppendCondition{Query::fromTags({{"t", "1"}}), 2}),
      AppendConditionFailedError);
}

TEST_CASE("createEventStoreFromConfig opens a working store", "[behaviour][config]") {
  TempDir dir;
  const fs::path config = dir.path() / "opossum.json";
  {
    std::ofstream out(config);
    out << R"({"store": {"name": "configured", "rootPath": ")" << (dir.path() / "root").string()
        << R"(", "flushEventsImmediately": false, "crossProcessLockTimeoutMs": 1000},)"
        << R"("plugins": {"path": [")" << opossum::test::pluginDir().string() << R"("],)"
        << R"("storage": {"name": "file-per-event"}, "serializer": {"name": "json"},)"
        << R"("index": {"name": "tag-index"}}})";
  }
  auto store = createEventStoreFromConfig(config);
  REQUIRE(store->append({makeEvent("Configured", "{}", {{"k", "v"}})}) == 1);
  CHECK(eventuallyExists(dir.path() / "root" / "configured" / "events" / "000000001.json"));
  CHECK(store->read(Query::fromTags({{"k", "v"}})).size() == 1);
  // The same directory through createEventStore sees it.
  auto same = opossum::test::openStore(dir.path() / "root", "configured");
  CHECK(same->readLast(Query::all())->event.eventType == "Configured");
}

TEST_CASE("a payload with an escaped lone surrogate is refused before it reaches the disk") {
  opossum::test::usePluginDir();
  opossum::test::TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "s");
  for (const char* payload : {R"({"a":"\udc00"})", R"({"\ud800x":1})"}) {
    try {
      store->append({opossum::test::makeEvent("T", payload)});
      FAIL("accepted " << payload);
    } catch (const opossum::InvalidArgumentError& e) {
      REQUIRE_THAT(e.what(), Catch::Matchers::Contains("event 0"));
    }
  }
  REQUIRE(store->read(opossum::Query::all()).empty());
  store->append({opossum::test::makeEvent("T", R"({"ok":"\ud83d\ude00"})")});
  REQUIRE(store->read(opossum::Query::all()).size() == 1);
}
