// The rules of SPEC §1, §2 and §4 end to end on a store whose config file chooses the "cbor"
// serializer: a compact version of store_behaviour_test (which runs on the default plugins),
// plus what only binary event files can get wrong (layout, tag migration rewriting files,
// damaged files).
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::contiguityProblem;
using opossum::test::eventDifference;
using opossum::test::jsonMismatch;
using opossum::test::makeEvent;
using opossum::test::snapshot;
using opossum::test::TempDir;

namespace fs = std::filesystem;

namespace {

using opossum::test::nanos;
using opossum::test::options;
using opossum::test::positionsOf;

std::string readFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A store opened from a config file (JSON) that chooses every plugin, the serializer "cbor".
struct Fixture {
  TempDir dir;
  fs::path config = writeConfig();
  std::shared_ptr<Store> store = open();

  fs::path storeDir() const { return dir / "root" / "cbor-store"; }
  std::shared_ptr<Store> open() const { return createEventStoreFromConfig(config); }
  // Closed and opened again: every file of the appends so far is written, nothing is pending.
  void settle() {
    store.reset();
    store = open();
  }

 private:
  fs::path writeConfig() const {
    const fs::path file = dir / "opossum.json";
    std::ofstream out(file);
    out << R"({"store": {"name": "cbor-store", "rootPath": ")" << (dir / "root").string()
        << R"(", "flushEventsImmediately": true, "crossProcessLockTimeoutMs": 5000},)"
        << R"("plugins": {"path": [")" << opossum::test::pluginDir().string() << R"("],)"
        << R"("storage": {"name": "file-per-event"}, "serializer": {"name": "cbor"},)"
        << R"("index": {"name": "tag-index"}}, "logging": {"level": "warn"}})";
    return file;
  }
};

// Appends A, B, A, B, ... (`count` events); event i+1 has tags n:i and parity.
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

TEST_CASE_METHOD(Fixture, "cbor config: event files are CBOR, named by position, in a cbor store",
                 "[cbor-config][layout]") {
  REQUIRE(store->append({makeEvent("Layout", R"({"v":1})", {{"k", "a"}, {"k", "A"}})}) == 1);
  REQUIRE(store->append({makeEvent("Layout"), makeEvent("Layout")}) == 3);
  const fs::path events = storeDir() / "events";
  REQUIRE(test::eventuallyExists(events / "000000003.cbor"));
  for (const char* name : {"000000001.cbor", "000000002.cbor", "000000003.cbor"}) {
    INFO(name);
    REQUIRE(fs::is_regular_file(events / name));
    // Self-described CBOR (tag 55799) followed by a map.
    const std::string bytes = readFile(events / name);
    REQUIRE(bytes.size() > 4);
    CHECK(bytes.substr(0, 3) == "\xd9\xd9\xf7");
    CHECK((static_cast<unsigned char>(bytes[3]) >> 5) == 5);
  }
  for (const auto& entry : fs::directory_iterator(events)) {
    CHECK(entry.path().extension() == ".cbor");
  }
  const std::string manifest = readFile(storeDir() / "manifest.json");
  CHECK(manifest.find("opossum-cbor") != std::string::npos);
  CHECK(test::eventuallyExists(storeDir() / "indices" / "tags"));
  CHECK(fs::is_regular_file(storeDir() / "ledger.json"));
  CHECK(store->read(Query::fromTags({{"k", "a"}})).size() == 1);
  CHECK(store->read(Query::fromTags({{"k", "A"}})).size() == 1);
}

TEST_CASE_METHOD(Fixture, "cbor config: positions, reading order, fromPosition, maxCount",
                 "[cbor-config][read]") {
  CHECK(store->read(Query::all()).empty());
  CHECK_FALSE(store->readLast(Query::all()));
  appendAlternating(*store, 10);
  const Query all = Query::all();
  CHECK(contiguityProblem(store->read(all)) == "");
  CHECK(positionsOf(store->read(all, options(true, 3))) ==
        std::vector<Position>{10, 9, 8, 7, 6, 5, 4});
  CHECK(positionsOf(store->read(all, options(false, 8))) == std::vector<Position>{9, 10});
  CHECK(store->read(all, options(false, 10)).empty());
  CHECK(store->read(all, options(false, std::nullopt, 0)).empty());
  CHECK(positionsOf(store->read(all, options(true, std::nullopt, 3))) ==
        std::vector<Position>{10, 9, 8});
  CHECK(positionsOf(store->read(all, options(false, 4, 2))) == std::vector<Position>{5, 6});
  const Query b = Query::fromEventTypes({"B"});
  CHECK(positionsOf(store->read(b, options(true, 4))) == std::vector<Position>{10, 8, 6});
  CHECK(positionsOf(store->read(b, options(false, 3, 2))) == std::vector<Position>{4, 6});
  auto fourth = store->read(all, options(false, 3, 1));
  REQUIRE(fourth.size() == 1);
  CHECK(fourth[0].event.eventType == "B");
  CHECK(fourth[0].event.event == R"({"i":3})");
  CHECK(fourth[0].event.tags == std::vector<Tag>{{"n", "3"}, {"parity", "odd"}});
  auto last = store->readLast(b);
  REQUIRE(last);
  CHECK(last->position == 10);
  last = store->readLast(Query::fromTags({{"n", "2"}}));
  REQUIRE(last);
  CHECK(last->position == 3);
  CHECK_FALSE(store->readLast(Query::fromTags({{"n", "2"}, {"parity", "odd"}})));
}

TEST_CASE_METHOD(Fixture, "cbor config: queries in the store agree with Query::matches",
                 "[cbor-config][query]") {
  store->append({
      makeEvent("OrderPlaced", "{}", {{"customer", "c1"}, {"order", "o1"}}),   // 1
      makeEvent("OrderPlaced", "{}", {{"customer", "C1"}, {"order", "o2"}}),   // 2
      makeEvent("OrderShipped", "{}", {{"customer", "c1"}, {"order", "o1"}}),  // 3
      makeEvent("Note", "{}", {{"flag", ""}}),                                 // 4
      makeEvent("Ünïcødé", "{}", {{"ключ", "значение"}, {"customer", "c1"}}),  // 5
  });
  const auto all = store->read(Query::all());
  const std::vector<std::pair<Query, std::vector<Position>>> cases = {
      {Query::all(), {1, 2, 3, 4, 5}},
      {Query::fromEventTypes({"OrderPlaced", "OrderShipped"}), {1, 2, 3}},
      {Query::fromTags({{"customer", "c1"}, {"order", "o1"}}), {1, 3}},
      {Query::fromTags({{"customer", "C1"}}), {2}},
      {Query::fromTags({{"flag", ""}}), {4}},
      {Query::fromTags({{"ключ", "значение"}}), {5}},
      {Query::fromEventTypes({"Ünïcødé"}), {5}},
      {Query::fromItems({QueryItem{{"OrderShipped"}, {}}, QueryItem{{}, {{"flag", ""}}}}), {3, 4}},
      {Query::fromTags({{"customer", "c9"}}), {}},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    const auto& [query, expected] = cases[i];
    CHECK(positionsOf(store->read(query)) == expected);
    std::vector<Position> filtered;
    for (const auto& e : all) {
      if (query.matches(e.event)) filtered.push_back(e.position);
    }
    CHECK(filtered == expected);
  }
}

TEST_CASE_METHOD(Fixture, "cbor config: append conditions", "[cbor-config][condition]") {
  appendAlternating(*store, 4);  // A1 B2 A3 B4
  const Query a = Query::fromEventTypes({"A"});
  settle();
  const auto before = snapshot(storeDir());
  CHECK_THROWS_AS(store->append({makeEvent("C")}, AppendCondition{a, std::nullopt}),
                  AppendConditionFailedError);
  CHECK_THROWS_AS(store->append({makeEvent("C"), makeEvent("C")}, AppendCondition{a, 2}),
                  AppendConditionFailedError);
  CHECK(snapshot(storeDir()) == before);
  CHECK(store->append({makeEvent("C")}, AppendCondition{a, 3}) == 5);
  CHECK(store->append({makeEvent("C")}, AppendCondition{Query::all(), 1000}) == 6);
  CHECK_THROWS_AS(
      store->append({makeEvent("C")}, AppendCondition{Query::fromTags({{"parity", "odd"}}), 3}),
      AppendConditionFailedError);
}

TEST_CASE_METHOD(Fixture, "cbor config: duplicate tags collapse, metadata round trip",
                 "[cbor-config][metadata]") {
  Metadata given;
  given.timestamp = nanos(1'796'000'523'123'456'789);
  given.correlationId = "corr-Ü";
  given.causationId = "";
  given.operationId = "op \"quoted\" \\ slash";
  given.userId = "user-1";
  Metadata old;
  old.timestamp = nanos(-2'208'988'800'000'000'001);  // before 1900, to the nanosecond
  const auto start = std::chrono::system_clock::now();
  store->append({makeEvent("M", "{}", {{"b", "1"}, {"a", "1"}, {"b", "1"}, {"b", ""}}, given),
                 makeEvent("M", "{}", {}, old), makeEvent("M")});
  const auto end = std::chrono::system_clock::now();
  auto all = store->read(Query::all());
  REQUIRE(all.size() == 3);
  CHECK(all[0].event.tags == std::vector<Tag>{{"b", "1"}, {"a", "1"}, {"b", ""}});
  CHECK(all[0].metadata == given);
  REQUIRE(all[0].metadata.causationId.has_value());
  CHECK(all[1].metadata == old);
  // Absent fields stay absent; the timestamp is stamped at append time.
  CHECK_FALSE(all[2].metadata.correlationId);
  CHECK_FALSE(all[2].metadata.causationId);
  CHECK_FALSE(all[2].metadata.operationId);
  CHECK_FALSE(all[2].metadata.userId);
  REQUIRE(all[2].metadata.timestamp);
  CHECK(*all[2].metadata.timestamp >= start - std::chrono::milliseconds(1));
  CHECK(*all[2].metadata.timestamp <= end + std::chrono::milliseconds(1));
}

TEST_CASE_METHOD(Fixture, "cbor config: payload round trip", "[cbor-config][payload]") {
  std::vector<std::string> payloads{
      "{}",
      R"({"z":1,"a":2,"m":3,"b":{"y":1,"x":2}})",
      R"({"text":"ü 日本 😀 \u00e9 \"q\" \\ \/ \n\t","esc":"\u0001"})",
      R"({"int":0,"neg":-17,"big":12345678901234567890,"min":-9223372036854775808,"frac":1.5,)"
      R"("exp":1e10,"small":-2.5e-7,"pi":3.141592653589793,"huge":123456789012345678901234567890,)"
      R"("price":1.50,"whole":2.0})",
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
  // Numbers come back by value and kind: 1.50 as 1.5, 2.0 still a double, big integers exact.
  CHECK(all[3].event.event.find(R"("price":1.5,"whole":2.0})") != std::string::npos);
  CHECK(all[3].event.event.find(R"("huge":123456789012345678901234567890,)") != std::string::npos);
  // Large and deep payloads.
  std::string large = "{\"items\":[";
  for (int i = 0; i < 20000; ++i) large += (i ? "," : "") + std::to_string(i);
  large += "]}";
  std::string deep = "{\"d\":" + std::string(500, '[') + std::string(500, ']') + "}";
  store->append({makeEvent("Large", large), makeEvent("Deep", deep)});
  CHECK(store->readLast(Query::fromEventTypes({"Large"}))->event.event == large);
  CHECK(store->readLast(Query::fromEventTypes({"Deep"}))->event.event == deep);
}

TEST_CASE_METHOD(Fixture, "cbor config: bad events are refused, leaving no trace",
                 "[cbor-config][validation]") {
  store->append({makeEvent("Seed", "{}", {{"k", "v"}})});
  settle();
  const auto before = snapshot(storeDir());
  const std::vector<NewEvent> bad = {
      makeEvent(""),
      makeEvent("bad\xff"),
      makeEvent("T", "{}", {{"", "v"}}),
      makeEvent("T", "{}", {{"k", std::string(1025, 'v')}}),
      makeEvent("T", "[1,2]"),
      makeEvent("T", "{\"a\":1} x"),
      makeEvent("T", "{\"a\":\"\xff\"}"),
      // Valid JSON text, but no Unicode text: an unpaired surrogate cannot be stored.
      makeEvent("T", R"({"a":"\udc00"})"),
      makeEvent("T", R"({"a":1e400})"),
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    INFO("bad event " << i << ": " << bad[i].event.event);
    std::vector<NewEvent> batch{makeEvent("Good"), bad[i], makeEvent("Good")};
    CHECK_THROWS_AS(store->append(batch), InvalidArgumentError);
    CHECK(snapshot(storeDir()) == before);
  }
  CHECK(store->read(Query::all()).size() == 1);
  CHECK(store->append({makeEvent("After")}) == 2);
}

TEST_CASE_METHOD(Fixture, "cbor config: a stop_token already stopped cancels, writing nothing",
                 "[cbor-config][cancel]") {
  store->append({makeEvent("Before")});
  settle();
  const auto before = snapshot(storeDir());
  std::stop_source stop;
  stop.request_stop();
  CHECK_THROWS_AS(store->append({makeEvent("Cancelled")}, std::nullopt, stop.get_token()),
                  CancelledError);
  CHECK_THROWS_AS(store->deleteStore(stop.get_token()), CancelledError);
  CHECK(snapshot(storeDir()) == before);
  CHECK(store->append({makeEvent("After")}) == 2);
}

TEST_CASE_METHOD(Fixture, "cbor config: reopening, several Store objects, deleteStore",
                 "[cbor-config][persistence]") {
  Metadata m;
  m.correlationId = "c";
  m.timestamp = nanos(1'796'000'523'123'456'789);
  store->append({makeEvent("A", R"({"a":1.25})", {{"t", "1"}}, m), makeEvent("B", R"({"b":[2]})")});
  const auto written = store->read(Query::all());
  auto other = open();
  // Each sees the other's appends, and conditions hold across them.
  CHECK(other->append({makeEvent("C", "{}", {{"t", "1"}})}) == 3);
  CHECK(positionsOf(store->read(Query::fromTags({{"t", "1"}}))) == std::vector<Position>{1, 3});
  CHECK_THROWS_AS(
      store->append({makeEvent("D")}, AppendCondition{Query::fromTags({{"t", "1"}}), 2}),
      AppendConditionFailedError);
  store.reset();
  other.reset();
  // A fresh open reads what was written.
  store = open();
  auto read = store->read(Query::all());
  REQUIRE(read.size() == 3);
  for (std::size_t i = 0; i < written.size(); ++i) {
    CHECK(eventDifference(written[i], read[i]) == "");
    CHECK(read[i].metadata == written[i].metadata);
  }
  // deleteStore through one object: the other sees an empty store starting again at 1.
  other = open();
  store->deleteStore();
  CHECK(other->read(Query::all()).empty());
  CHECK(other->append({makeEvent("Again")}) == 1);
  CHECK(store->readLast(Query::all())->event.eventType == "Again");
  CHECK(test::eventuallyExists(storeDir() / "events" / "000000001.cbor"));
  CHECK(fs::is_regular_file(storeDir() / "events" / "000000001.cbor"));
  CHECK(readFile(storeDir() / "manifest.json").find("opossum-cbor") != std::string::npos);
}

TEST_CASE_METHOD(Fixture, "cbor config: concurrent appends from threads stay contiguous",
                 "[cbor-config][threads]") {
  auto other = open();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Store& target = t % 2 == 0 ? *store : *other;
      for (int i = 0; i < 25; ++i) {
        target.append({makeEvent("T" + std::to_string(t), "{\"i\":" + std::to_string(i) + "}"),
                       makeEvent("T" + std::to_string(t), "{\"j\":" + std::to_string(i) + "}")});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto all = store->read(Query::all());
  REQUIRE(all.size() == 200);
  CHECK(contiguityProblem(all) == "");
  // The two events of each append are adjacent.
  for (std::size_t i = 0; i < all.size(); i += 2) {
    CHECK(all[i].event.eventType == all[i + 1].event.eventType);
    CHECK(opossum::test::payloadNumber(all[i].event.event, "i") ==
          opossum::test::payloadNumber(all[i + 1].event.event, "j"));
  }
}

TEST_CASE_METHOD(Fixture, "cbor config: addTags rewrites CBOR event files",
                 "[cbor-config][maintenance]") {
  std::vector<NewEvent> events;
  for (int i = 0; i < 12; ++i) {
    events.push_back(makeEvent(i % 3 == 0 ? "Other" : "Sale",
                               "{\"n\":" + std::to_string(i) + ",\"price\":2.50}",
                               {{"shop", "s"}}));
  }
  store->append(events);
  const auto result = store->addTags("Sale", [](const SequencedEvent& e) {
    const long long n = opossum::test::payloadNumber(e.event.event, "n");
    return std::vector<Tag>{{"region", n % 2 == 0 ? "north" : "south"}, {"shop", "ignored"}};
  });
  CHECK(result.eventsProcessed == 8);
  CHECK(result.tagsAdded == 8);  // "shop" is skipped: the events have that key
  CHECK(positionsOf(store->read(Query::fromTags({{"region", "north"}}))) ==
        std::vector<Position>{3, 5, 9, 11});
  // The files themselves carry the tags: a fresh open reads them.
  store.reset();
  store = open();
  auto e = store->read(Query::all(), options(false, 2, 1));
  REQUIRE(e.size() == 1);
  CHECK(e[0].event.tags == std::vector<Tag>{{"shop", "s"}, {"region", "north"}});
  CHECK(jsonMismatch(R"({"n":2,"price":2.5})", e[0].event.event) == "");
}

TEST_CASE_METHOD(Fixture, "cbor config: a damaged event file is a CorruptionError naming it",
                 "[cbor-config][corruption]") {
  // A journal of 4 KiB that never grows: the events leave it (for their files) within a few
  // appends, and only events read from their files can be found damaged.
  const fs::path small = dir / "small-journal.json";
  {
    std::string text = readFile(config);
    const std::string storage = R"("storage": {"name": "file-per-event")";
    text.replace(text.find(storage), storage.size(),
                 storage + R"(, "journalCapacityBytes": 4096, "journalMaxBytes": 4096)");
    std::ofstream(small) << text;
  }
  store.reset();
  fs::remove_all(storeDir());  // its journal has the default size already
  store = createEventStoreFromConfig(small);
  store->append({makeEvent("A", R"({"a":1})"), makeEvent("B", R"({"b":2})")});
  for (int i = 0; i < 40; ++i)
    store->append({makeEvent("Filler", R"({"pad":")" + std::string(200, 'x') + "\"}")});
  store.reset();
  const fs::path file = storeDir() / "events" / "000000002.cbor";
  std::string bytes = readFile(file);
  fs::permissions(file, fs::perms::owner_write, fs::perm_options::add);
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << bytes.substr(0, bytes.size() / 2);
  }
  // Reopened, so the damaged event is not served from the store's memory.
  store = createEventStoreFromConfig(small);
  try {
    store->read(Query::all());
    FAIL("no CorruptionError");
  } catch (const CorruptionError& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find("000000002.cbor") != std::string::npos);
  }
  // The undamaged event still reads.
  CHECK(store->read(Query::fromEventTypes({"A"})).size() == 1);
}
