#include "opossum/sdk/conformance/storage_suite.hpp"

#include <stdlib.h>
#include <atomic>

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "json_compare.hpp"
#include "opossum/errors.hpp"
#include "scratch_dir.hpp"

namespace opossum::sdk::conformance {

namespace {

namespace fs = std::filesystem;
using detail::jsonDifference;
using detail::ScratchDir;

Timestamp millis(std::int64_t ms) { return Timestamp{std::chrono::milliseconds{ms}}; }

// A prepared event: valid, timestamp set.
NewEvent event(std::string type, std::vector<Tag> tags = {}, std::string json = "{}") {
  static std::atomic<std::int64_t> clock{1'796'000'523'123};  // events are made on many threads
  NewEvent e;
  e.event.eventType = std::move(type);
  e.event.event = std::move(json);
  e.event.tags = std::move(tags);
  e.metadata.timestamp = millis(++clock);
  return e;
}

using Batch = std::vector<NewEvent>;

AppendRequest request(const Batch& events, const AppendCondition* condition = nullptr) {
  return AppendRequest{&events, condition};
}

std::vector<AppendResult> appendGroup(Storage& storage, const std::vector<AppendRequest>& group) {
  auto results = storage.append(group, {});
  REQUIRE(results.size() == group.size());
  return results;
}

// Appends one request; its last position (the request must be committed).
Position appendOne(Storage& storage, const Batch& events,
                   const AppendCondition* condition = nullptr) {
  auto results = appendGroup(storage, {request(events, condition)});
  INFO("conflict: " << results[0].conflict);
  REQUIRE(results[0].committed);
  return results[0].lastPosition;
}

bool rejected(Storage& storage, const Batch& events, const AppendCondition& condition) {
  auto results = appendGroup(storage, {request(events, &condition)});
  if (!results[0].committed) CHECK_FALSE(results[0].conflict.empty());
  return !results[0].committed;
}

std::vector<Position> positionsOf(const std::vector<SequencedEvent>& events) {
  std::vector<Position> out;
  for (const auto& e : events) out.push_back(e.position);
  return out;
}

std::vector<Position> span(Position from, Position to) {  // inclusive, either direction
  std::vector<Position> out;
  if (from <= to) {
    for (Position p = from; p <= to; ++p) out.push_back(p);
  } else {
    for (Position p = from; p >= to; --p) out.push_back(p);
  }
  return out;
}

ReadOptions readOptions(bool descending, std::optional<Position> from = std::nullopt,
                        std::optional<std::size_t> max = std::nullopt) {
  ReadOptions o;
  o.descending = descending;
  o.fromPosition = from;
  o.maxCount = max;
  return o;
}

// "" when `actual` is `expected` stored at `position`.
std::string difference(const NewEvent& expected, Position position, const SequencedEvent& actual) {
  if (actual.position != position) {
    return "position " + std::to_string(actual.position) + ", expected " + std::to_string(position);
  }
  if (actual.event.eventType != expected.event.eventType) {
    return "eventType '" + actual.event.eventType + "', expected '" + expected.event.eventType +
           "'";
  }
  if (actual.event.tags != expected.event.tags) return "tags differ";
  if (actual.metadata != expected.metadata) return "metadata differs";
  std::string payload = jsonDifference(expected.event.event, actual.event.event);
  return payload.empty() ? "" : "payload: " + payload;
}

// A B A B ... (`count` events); event i has tags n:i and parity:even|odd.
Batch alternating(int count) {
  Batch events;
  for (int i = 0; i < count; ++i) {
    events.push_back(event(i % 2 == 0 ? "A" : "B",
                           {{"n", std::to_string(i)}, {"parity", i % 2 == 0 ? "even" : "odd"}},
                           "{\"i\":" + std::to_string(i) + "}"));
  }
  return events;
}

}  // namespace

void checkStorageConformance(
    const std::function<std::shared_ptr<Storage>(const std::filesystem::path& storeDir)>& make) {
  ScratchDir scratch("storage");
  const fs::path dir = scratch.path() / "store";
  std::shared_ptr<Storage> created = make(dir);
  REQUIRE(created != nullptr);
  Storage& storage = *created;

  SECTION("a new store is empty") {
    CHECK(storage.head() == 0);
    CHECK(storage.read(Query::all(), {}).empty());
    CHECK_FALSE(storage.readLast(Query::all()));
  }

  SECTION("positions start at 1 and are contiguous; events read back as written") {
    Batch first{event("X", {{"k", "v"}}, R"({"z":1,"a":[1,2.5,"ü"],"n":null})")};
    Batch second{event("Y"), event("Z", {{"k", ""}, {"K", "v"}}), event("Y")};
    second[1].metadata.correlationId = "corr";
    second[1].metadata.causationId = "";
    second[1].metadata.operationId = "op";
    second[1].metadata.userId = "user";
    CHECK(appendOne(storage, first) == 1);
    CHECK(storage.head() == 1);
    CHECK(appendOne(storage, second) == 4);
    CHECK(storage.head() == 4);
    auto all = storage.read(Query::all(), {});
    REQUIRE(positionsOf(all) == span(1, 4));
    CHECK(difference(first[0], 1, all[0]) == "");
    for (std::size_t i = 0; i < second.size(); ++i)
      CHECK(difference(second[i], 2 + i, all[1 + i]) == "");
    CHECK_FALSE(all[0].metadata.correlationId.has_value());
  }

  SECTION("a group commits its requests in order at contiguous positions") {
    Batch a{event("A"), event("A")}, b{event("B")}, c{event("C"), event("C"), event("C")};
    auto results = appendGroup(storage, {request(a), request(b), request(c)});
    CHECK(results[0].committed);
    CHECK(results[0].lastPosition == 2);
    CHECK(results[1].committed);
    CHECK(results[1].lastPosition == 3);
    CHECK(results[2].committed);
    CHECK(results[2].lastPosition == 6);
    auto all = storage.read(Query::all(), {});
    REQUIRE(positionsOf(all) == span(1, 6));
    CHECK(all[1].event.eventType == "A");
    CHECK(all[2].event.eventType == "B");
    CHECK(all[5].event.eventType == "C");
    CHECK(storage.head() == 6);
  }

  SECTION("a rejected request does not affect the others of its group") {
    appendOne(storage, Batch{event("Existing", {{"k", "1"}})});
    AppendCondition fails{Query::fromTags({{"k", "1"}}), std::nullopt};
    AppendCondition passes{Query::fromEventTypes({"Nothing"}), std::nullopt};
    Batch a{event("A")}, b{event("B"), event("B")}, c{event("C")}, d{event("D")};
    auto results = appendGroup(
        storage, {request(a), request(b, &fails), request(c, &passes), request(d, &fails)});
    CHECK(results[0].committed);
    CHECK(results[0].lastPosition == 2);
    CHECK_FALSE(results[1].committed);
    CHECK_FALSE(results[1].conflict.empty());
    CHECK(results[2].committed);
    CHECK(results[2].lastPosition == 3);
    CHECK_FALSE(results[3].committed);
    auto all = storage.read(Query::all(), {});
    REQUIRE(positionsOf(all) == span(1, 3));
    CHECK(all[1].event.eventType == "A");
    CHECK(all[2].event.eventType == "C");
    CHECK(storage.read(Query::fromEventTypes({"B", "D"}), {}).empty());
    CHECK(storage.head() == 3);
  }

  SECTION("a group where every request is rejected writes nothing") {
    appendOne(storage, Batch{event("Existing")});
    AppendCondition fails{Query::all(), std::nullopt};
    Batch a{event("A")}, b{event("B")};
    auto results = appendGroup(storage, {request(a, &fails), request(b, &fails)});
    CHECK_FALSE(results[0].committed);
    CHECK_FALSE(results[1].committed);
    CHECK(storage.head() == 1);
    CHECK(storage.read(Query::all(), {}).size() == 1);
    CHECK(appendOne(storage, a) == 2);
  }

  SECTION("a later request's condition sees the earlier accepted requests of its group") {
    appendOne(storage, Batch{event("Seed")});
    Batch claim{event("Claimed", {{"seat", "12"}})};
    Batch again{event("Claimed", {{"seat", "12"}})};
    Batch other{event("Claimed", {{"seat", "13"}})};
    AppendCondition seat12{Query::fromTags({{"seat", "12"}}), 1};
    AppendCondition seat13{Query::fromTags({{"seat", "13"}}), 1};
    AppendCondition afterClaim{Query::fromTags({{"seat", "12"}}), 2};
    Batch later{event("Later")};
    auto results = appendGroup(storage, {request(claim, &seat12), request(again, &seat12),
                                         request(other, &seat13), request(later, &afterClaim)});
    CHECK(results[0].committed);
    CHECK(results[0].lastPosition == 2);
    CHECK_FALSE(results[1].committed);  // sees request 0
    CHECK(results[2].committed);        // another seat
    CHECK(results[2].lastPosition == 3);
    CHECK(results[3].committed);  // request 0's event is not after position 2
    CHECK(results[3].lastPosition == 4);
    CHECK(storage.read(Query::fromTags({{"seat", "12"}}), {}).size() == 1);
    CHECK(storage.head() == 4);
  }

  SECTION("a condition matching only a rejected request of its group passes") {
    appendOne(storage, Batch{event("Closed", {{"desk", "1"}})});
    AppendCondition deskFree{Query::fromTags({{"desk", "1"}}), std::nullopt};
    AppendCondition seatFree{Query::fromTags({{"seat", "7"}}), std::nullopt};
    Batch refused{event("Booked", {{"desk", "1"}, {"seat", "7"}})};
    Batch booked{event("Booked", {{"seat", "7"}})};
    Batch twice{event("Booked", {{"seat", "7"}})};
    auto results = appendGroup(storage, {request(refused, &deskFree), request(booked, &seatFree),
                                         request(twice, &seatFree)});
    CHECK_FALSE(results[0].committed);
    CHECK(results[1].committed);  // the seat-7 event before it was not written
    CHECK(results[1].lastPosition == 2);
    CHECK_FALSE(results[2].committed);  // but request 1's was
    CHECK(storage.read(Query::fromTags({{"seat", "7"}}), {}).size() == 1);
    CHECK(storage.head() == 2);
  }

  SECTION("a condition checks the store, not the request's own events") {
    Batch mine{event("Own", {{"k", "v"}}), event("Own", {{"k", "v"}})};
    AppendCondition own{Query::fromTags({{"k", "v"}}), std::nullopt};
    CHECK(appendOne(storage, mine, &own) == 2);
    CHECK(rejected(storage, mine, own));
  }

  SECTION("append conditions against committed events") {
    appendOne(storage, alternating(4));  // A1 B2 A3 B4
    const Query a = Query::fromEventTypes({"A"});
    CHECK(rejected(storage, Batch{event("C")}, AppendCondition{a, std::nullopt}));
    CHECK(rejected(storage, Batch{event("C")}, AppendCondition{a, 0}));
    CHECK(rejected(storage, Batch{event("C")}, AppendCondition{a, 2}));
    CHECK(rejected(storage, Batch{event("C")}, AppendCondition{Query::all(), 3}));
    CHECK(rejected(storage, Batch{event("C")},
                   AppendCondition{Query::fromTags({{"parity", "odd"}}), 3}));
    CHECK(storage.head() == 4);
    AppendCondition atLast{a, 3};
    CHECK(appendOne(storage, Batch{event("C")}, &atLast) == 5);
    AppendCondition beyond{Query::all(), 1000};  // after the head: allowed
    CHECK(appendOne(storage, Batch{event("C")}, &beyond) == 6);
    AppendCondition never{Query::fromEventTypes({"Z"}), std::nullopt};
    CHECK(appendOne(storage, Batch{event("C")}, &never) == 7);
    AppendCondition noBoth{Query::fromTags({{"n", "0"}, {"parity", "odd"}}), std::nullopt};
    CHECK(appendOne(storage, Batch{event("C")}, &noBoth) == 8);
    AppendCondition caseDiffers{Query::fromTags({{"Parity", "odd"}}), std::nullopt};
    CHECK(appendOne(storage, Batch{event("C")}, &caseDiffers) == 9);
  }

  SECTION("reading: order, exclusive fromPosition, maxCount, queries") {
    appendOne(storage, alternating(10));
    const Query all = Query::all();
    CHECK(positionsOf(storage.read(all, {})) == span(1, 10));
    CHECK(positionsOf(storage.read(all, readOptions(true))) == span(10, 1));
    CHECK(positionsOf(storage.read(all, readOptions(false, 3))) == span(4, 10));
    CHECK(positionsOf(storage.read(all, readOptions(true, 3))) == span(10, 4));
    CHECK(storage.read(all, readOptions(false, 10)).empty());
    CHECK(storage.read(all, readOptions(true, 10)).empty());
    CHECK(storage.read(all, readOptions(false, 99)).empty());
    CHECK(storage.read(all, readOptions(false, std::nullopt, 0)).empty());
    CHECK(storage.read(all, readOptions(true, std::nullopt, 0)).empty());
    CHECK(positionsOf(storage.read(all, readOptions(false, std::nullopt, 3))) == span(1, 3));
    CHECK(positionsOf(storage.read(all, readOptions(true, std::nullopt, 3))) == span(10, 8));
    CHECK(positionsOf(storage.read(all, readOptions(false, 4, 2))) == span(5, 6));
    CHECK(positionsOf(storage.read(all, readOptions(true, 4, 2))) == span(10, 9));
    const Query b = Query::fromEventTypes({"B"});
    CHECK(positionsOf(storage.read(b, {})) == std::vector<Position>{2, 4, 6, 8, 10});
    CHECK(positionsOf(storage.read(b, readOptions(true, 4))) == std::vector<Position>{10, 8, 6});
    CHECK(positionsOf(storage.read(b, readOptions(false, 3, 2))) == std::vector<Position>{4, 6});
    CHECK(positionsOf(storage.read(b, readOptions(true, 3, 2))) == std::vector<Position>{10, 8});
    CHECK(positionsOf(storage.read(Query::fromEventTypes({"A", "B"}), {})) == span(1, 10));
    CHECK(positionsOf(storage.read(Query::fromTags({{"parity", "even"}, {"n", "4"}}), {})) ==
          std::vector<Position>{5});
    CHECK(storage.read(Query::fromTags({{"parity", "odd"}, {"n", "4"}}), {}).empty());
    CHECK(positionsOf(storage.read(Query::fromItems({QueryItem{}}), {})) == span(1, 10));
    CHECK(positionsOf(storage.read(
              Query::fromItems({QueryItem{{"A"}, {{"n", "2"}}}, QueryItem{{}, {{"n", "7"}}}}),
              {})) == std::vector<Position>{3, 8});
    CHECK(storage.read(Query::fromTags({{"Parity", "odd"}}), {}).empty());
    CHECK(storage.read(Query::fromEventTypes({"a"}), {}).empty());
  }

  SECTION("readLast gives the matching event with the highest position") {
    CHECK_FALSE(storage.readLast(Query::fromEventTypes({"A"})));
    appendOne(storage, alternating(7));
    auto last = storage.readLast(Query::all());
    REQUIRE(last);
    CHECK(last->position == 7);
    last = storage.readLast(Query::fromEventTypes({"B"}));
    REQUIRE(last);
    CHECK(last->position == 6);
    CHECK(last->event.eventType == "B");
    last = storage.readLast(Query::fromTags({{"n", "2"}}));
    REQUIRE(last);
    CHECK(last->position == 3);
    CHECK_FALSE(storage.readLast(Query::fromEventTypes({"C"})));
  }

  SECTION("deleteStore empties the store; the next position is 1") {
    appendOne(storage, alternating(5));
    storage.deleteStore({});
    CHECK(storage.head() == 0);
    CHECK(storage.read(Query::all(), {}).empty());
    CHECK(storage.read(Query::fromEventTypes({"A"}), {}).empty());
    CHECK_FALSE(storage.readLast(Query::all()));
    AppendCondition deletedWouldFail{Query::fromEventTypes({"A"}), std::nullopt};
    CHECK(appendOne(storage, Batch{event("New", {{"n", "1"}})}, &deletedWouldFail) == 1);
    auto all = storage.read(Query::all(), {});
    REQUIRE(all.size() == 1);
    CHECK(all[0].event.eventType == "New");
    CHECK(positionsOf(storage.read(Query::fromTags({{"n", "1"}}), {})) == std::vector<Position>{1});
    CHECK(appendOne(storage, Batch{event("New")}) == 2);
  }

  SECTION("a second instance on the same directory shares every commit") {
    std::shared_ptr<Storage> second = make(dir);
    REQUIRE(second != nullptr);
    CHECK(appendOne(storage, Batch{event("A", {{"k", "1"}}), event("B")}) == 2);
    CHECK(second->head() == 2);
    CHECK(positionsOf(second->read(Query::fromTags({{"k", "1"}}), {})) == std::vector<Position>{1});
    CHECK(appendOne(*second, Batch{event("C")}) == 3);
    CHECK(storage.head() == 3);
    REQUIRE(storage.readLast(Query::all()));
    CHECK(storage.readLast(Query::all())->event.eventType == "C");
    // Conditions hold across instances.
    CHECK(rejected(*second, Batch{event("D")}, AppendCondition{Query::fromTags({{"k", "1"}}), 0}));
    CHECK(rejected(storage, Batch{event("D")}, AppendCondition{Query::fromEventTypes({"C"}), 2}));
    // deleteStore through one: the other sees an empty store whose next position is 1.
    storage.deleteStore({});
    CHECK(second->head() == 0);
    CHECK(second->read(Query::all(), {}).empty());
    CHECK(second->read(Query::fromTags({{"k", "1"}}), {}).empty());
    CHECK(appendOne(*second, Batch{event("E")}) == 1);
    CHECK(storage.head() == 1);
    CHECK(storage.read(Query::fromEventTypes({"A", "B", "C"}), {}).empty());
    CHECK(appendOne(storage, Batch{event("F")}) == 2);
    CHECK(positionsOf(second->read(Query::all(), {})) == span(1, 2));
  }

  SECTION("instances appending from several threads get contiguous positions") {
    constexpr int kThreads = 4;
    constexpr int kAppends = 25;
    std::vector<std::shared_ptr<Storage>> instances{created};
    for (int i = 1; i < kThreads; ++i) instances.push_back(make(dir));
    std::mutex mutex;
    std::vector<std::string> failures;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        try {
          for (int i = 0; i < kAppends; ++i) {
            Batch events{
                event("T", {{"thread", std::to_string(t)}}, "{\"i\":" + std::to_string(i) + "}"),
                event("T", {{"thread", std::to_string(t)}}, "{\"i\":" + std::to_string(i) + "}")};
            AppendRequest r{&events, nullptr};
            auto results = instances[t]->append(std::span<const AppendRequest>(&r, 1), {});
            if (results.size() != 1 || !results[0].committed)
              throw std::runtime_error("not committed");
          }
        } catch (const std::exception& e) {
          std::lock_guard guard(mutex);
          failures.push_back(e.what());
        }
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& f : failures) FAIL_CHECK(f);
    auto all = storage.read(Query::all(), {});
    REQUIRE(positionsOf(all) == span(1, 2 * kThreads * kAppends));
    // Each request's two events are next to each other.
    for (std::size_t i = 0; i < all.size(); i += 2) {
      CHECK(all[i].event.tags == all[i + 1].event.tags);
      CHECK(jsonDifference(all[i].event.event, all[i + 1].event.event) == "");
    }
  }

  SECTION("a store reopened after its instance is gone keeps everything") {
    Batch first = alternating(3);
    Batch second{event("Z", {{"z", "1"}}, R"({"nested":{"b":1,"a":2}})")};
    appendOne(storage, first);
    appendOne(storage, second);
    created.reset();
    std::shared_ptr<Storage> reopened = make(dir);
    REQUIRE(reopened != nullptr);
    CHECK(reopened->head() == 4);
    auto all = reopened->read(Query::all(), {});
    REQUIRE(all.size() == 4);
    for (std::size_t i = 0; i < first.size(); ++i) CHECK(difference(first[i], 1 + i, all[i]) == "");
    CHECK(difference(second[0], 4, all[3]) == "");
    CHECK(positionsOf(reopened->read(Query::fromTags({{"parity", "even"}}), {})) ==
          std::vector<Position>{1, 3});
    CHECK(
        rejected(*reopened, Batch{event("Y")}, AppendCondition{Query::fromTags({{"z", "1"}}), 3}));
    CHECK(appendOne(*reopened, Batch{event("Y")}) == 5);
  }
}

}  // namespace opossum::sdk::conformance
