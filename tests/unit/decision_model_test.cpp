// Decision models (SPEC §3): one read of the union query, each projection folding only its own
// events in position order, the append condition they produce, and time-dependent rules with an
// injected clock.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <type_traits>
#include <vector>

#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using namespace std::chrono_literals;
using opossum::test::TempDir;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

using Positions = std::vector<Position>;

// An in-memory store that counts reads and keeps the last query, to check "one read, union".
class CountingStore : public EventStore {
 public:
  std::vector<SequencedEvent> events;
  int reads = 0;
  Query lastQuery;

  Position append(const std::vector<NewEvent>&, const std::optional<AppendCondition>&,
                  std::stop_token) override {
    throw std::logic_error("not used");
  }
  std::vector<SequencedEvent> read(const Query& query, const ReadOptions&) override {
    ++reads;
    lastQuery = query;
    std::vector<SequencedEvent> out;
    for (const auto& e : events) {
      if (query.matches(e.event)) out.push_back(e);
    }
    return out;
  }
  std::optional<SequencedEvent> readLast(const Query&, std::stop_token) override {
    throw std::logic_error("not used");
  }
  void add(std::string type, std::vector<Tag> tags = {}) {
    SequencedEvent e;
    e.event = DomainEvent{std::move(type), "{}", std::move(tags)};
    e.position = events.size() + 1;
    events.push_back(e);
  }
};

// A projection that records the positions it was shown, in order.
DecisionProjection<Positions> seen(Query query) {
  return createDecisionProjection(Positions{}, std::move(query),
                                  [](Positions s, const SequencedEvent& e) {
                                    s.push_back(e.position);
                                    return s;
                                  });
}

DecisionProjection<int> counter(Query query) {
  return createDecisionProjection(0, std::move(query),
                                  [](int n, const SequencedEvent&) { return n + 1; });
}

// A store holding: 1 A{x}, 2 B, 3 C{x}, 4 A, 5 B{x}.
void fill(CountingStore& store) {
  store.add("A", {{"t", "x"}});
  store.add("B");
  store.add("C", {{"t", "x"}});
  store.add("A");
  store.add("B", {{"t", "x"}});
}

}  // namespace

TEST_CASE("createDecisionProjection deduces the state type", "[decision]") {
  auto p = createDecisionProjection(std::string("start"), Query::fromEventTypes({"A"}),
                                    [](std::string s, const SequencedEvent&) { return s + "!"; });
  static_assert(std::is_same_v<decltype(p), DecisionProjection<std::string>>);
  CHECK(p.initialState == "start");
  CHECK(p.query == Query::fromEventTypes({"A"}));
  CHECK(p.apply("x", SequencedEvent{}) == "x!");
}

TEST_CASE("buildDecisionModel folds the matching events in position order", "[decision]") {
  CountingStore store;
  SECTION("nothing matched: initial state, condition without position") {
    auto model = buildDecisionModel(store, counter(Query::fromEventTypes({"A"})));
    CHECK(model.state == 0);
    CHECK(model.appendCondition.failIfEventsMatch == Query::fromEventTypes({"A"}));
    CHECK_FALSE(model.appendCondition.afterSequencePosition.has_value());
  }
  SECTION("events matched: the highest position read, not the head") {
    fill(store);
    auto model = buildDecisionModel(store, seen(Query::fromEventTypes({"A"})));
    CHECK(model.state == Positions{1, 4});
    CHECK(model.appendCondition.failIfEventsMatch == Query::fromEventTypes({"A"}));
    CHECK(model.appendCondition.afterSequencePosition == Position{4});
    CHECK(store.reads == 1);
  }
}

TEST_CASE("several projections: one read of the union, each sees only its own events",
          "[decision]") {
  CountingStore store;
  fill(store);
  Query a = Query::fromEventTypes({"A"});
  Query tagged = Query::fromTags({{"t", "x"}});
  Query c = Query::fromEventTypes({"C"});

  SECTION("two") {
    auto model = buildDecisionModel2(store, seen(a), counter(c));
    CHECK(store.reads == 1);
    CHECK(model.first == Positions{1, 4});
    CHECK(model.second == 1);
    CHECK(store.lastQuery.items().size() == 2);
    CHECK(model.appendCondition.failIfEventsMatch == store.lastQuery);
    CHECK(model.appendCondition.afterSequencePosition == Position{4});
  }
  SECTION("three, with overlapping queries") {
    auto model = buildDecisionModel3(store, seen(a), seen(tagged), counter(c));
    CHECK(store.reads == 1);
    CHECK(model.first == Positions{1, 4});
    CHECK(model.second == Positions{1, 3, 5});
    CHECK(model.third == 1);
    CHECK(model.appendCondition.afterSequencePosition == Position{5});
    // The union holds each item once.
    CHECK(store.lastQuery.items().size() == 3);
  }
  SECTION("N, from a vector and from a braced list") {
    std::vector<DecisionProjection<Positions>> projections{seen(a), seen(tagged), seen(c)};
    auto model = buildDecisionModelN(store, projections);
    CHECK(store.reads == 1);
    REQUIRE(model.states.size() == 3);
    CHECK(model.states[0] == Positions{1, 4});
    CHECK(model.states[1] == Positions{1, 3, 5});
    CHECK(model.states[2] == Positions{3});
    CHECK(model.appendCondition.afterSequencePosition == Position{5});

    auto listed = buildDecisionModelN(store, {seen(c), seen(a)});
    CHECK(listed.states == std::vector<Positions>{{3}, {1, 4}});
    CHECK(listed.appendCondition.afterSequencePosition == Position{4});
  }
  SECTION("N with no projection reads everything and folds nothing") {
    auto model = buildDecisionModelN(store, std::vector<DecisionProjection<int>>{});
    CHECK(model.states.empty());
    CHECK(model.appendCondition.failIfEventsMatch.matchesEverything());
  }
  SECTION("Query::all() in one projection makes the union match everything") {
    auto model = buildDecisionModel2(store, seen(Query::all()), seen(c));
    CHECK(store.lastQuery.matchesEverything());
    CHECK(model.appendCondition.failIfEventsMatch.matchesEverything());
    CHECK(model.first == Positions{1, 2, 3, 4, 5});
    CHECK(model.second == Positions{3});
    CHECK(model.appendCondition.afterSequencePosition == Position{5});
  }
}

TEST_CASE("a projection without apply is refused", "[decision]") {
  CountingStore store;
  DecisionProjection<int> broken{0, Query::all(), {}};
  CHECK_THROWS_AS(buildDecisionModel(store, broken), InvalidArgumentError);
  CHECK_THROWS_WITH(buildDecisionModel2(store, counter(Query::all()), broken),
                    Catch::Matchers::Contains("decision projection 1"));
  CHECK(store.reads == 0);
}

TEST_CASE("the model's condition: unrelated events pass, relevant ones conflict", "[decision]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "decisions");
  EventStore& s = *store;
  appendOne(s, toNewEvent("CourseDefined", "{}", {{"course", "c1"}}));
  appendOne(s, toNewEvent("StudentSubscribed", "{}", {{"course", "c1"}, {"student", "s1"}}));
  appendOne(s, toNewEvent("CourseDefined", "{}", {{"course", "c2"}}));

  auto course = counter(Query::fromTags({{"course", "c1"}}));
  auto student = counter(Query::fromItems({{{"StudentSubscribed"}, {{"student", "s2"}}}}));
  auto model = buildDecisionModel2(s, course, student);
  CHECK(model.first == 2);
  CHECK(model.second == 0);
  CHECK(model.appendCondition.afterSequencePosition == Position{2});

  auto subscribe = toNewEvent("StudentSubscribed", "{}", {{"course", "c1"}, {"student", "s2"}});
  SECTION("an unrelated later event does not invalidate the condition") {
    appendOne(s, toNewEvent("StudentSubscribed", "{}", {{"course", "c2"}, {"student", "s1"}}));
    CHECK(appendOne(s, subscribe, model.appendCondition) == 5);
  }
  SECTION("an event relevant to the first projection does") {
    appendOne(s, toNewEvent("CourseCapacityChanged", "{}", {{"course", "c1"}}));
    CHECK_THROWS_AS(appendOne(s, subscribe, model.appendCondition), AppendConditionFailedError);
    CHECK(readAll(s, Query::all()).size() == 4);
  }
  SECTION("an event relevant to the second projection does") {
    appendOne(s, toNewEvent("StudentSubscribed", "{}", {{"course", "c3"}, {"student", "s2"}}));
    CHECK_THROWS_AS(appendOne(s, subscribe, model.appendCondition), AppendConditionFailedError);
  }
  SECTION("a model over nothing conflicts with the first matching event") {
    auto none = buildDecisionModel(s, counter(Query::fromEventTypes({"Nothing"})));
    CHECK_FALSE(none.appendCondition.afterSequencePosition.has_value());
    appendOne(s, toNewEvent("Other", "{}"));
    CHECK(appendOne(s, toNewEvent("Nothing", "{}"), none.appendCondition) == 5);
    CHECK_THROWS_AS(appendOne(s, toNewEvent("Nothing", "{}"), none.appendCondition),
                    AppendConditionFailedError);
  }
}

TEST_CASE("a grace-period rule decided with an injected clock", "[decision]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "grace");
  const Timestamp ordered = Timestamp(std::chrono::milliseconds(1'700'000'000'000));
  Timestamp now = ordered;
  Clock clock = [&now] { return now; };

  appendOne(*store, DomainEventBuilder("{}", "OrderPlaced")
                        .withTag("order", "o1")
                        .withTimestamp(ordered)
                        .build());

  // Cancellation is allowed within 14 days of the order.
  auto mayCancel = createDecisionProjection(
      false, Query::fromTags({{"order", "o1"}}), [clock](bool, const SequencedEvent& e) {
        if (e.event.eventType == "OrderCancelled") return false;
        return clock() - e.metadata.timestamp.value() <= std::chrono::hours(24 * 14);
      });

  now = ordered + std::chrono::hours(24 * 13);
  CHECK(buildDecisionModel(*store, mayCancel).state);
  now = ordered + std::chrono::hours(24 * 14) + 1ms;
  CHECK_FALSE(buildDecisionModel(*store, mayCancel).state);

  // In production the clock is the system clock.
  Timestamp before = std::chrono::system_clock::now();
  Timestamp t = systemClock()();
  CHECK(t >= before);
  CHECK(t <= std::chrono::system_clock::now());
}

TEST_CASE("executeDecision with a decision model retries after a competing append", "[decision]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "retry");
  auto balance = createDecisionProjection(
      0, Query::fromTags({{"account", "a1"}}), [](int b, const SequencedEvent& e) {
        return b + (e.event.eventType == "Deposited" ? 10 : -10);
      });
  appendEvents(*store, {toNewEvent("Deposited", "{}", {{"account", "a1"}}),
                        toNewEvent("Deposited", "{}", {{"account", "a1"}})});
  auto withdrawn = toNewEvent("Withdrawn", "{}", {{"account", "a1"}});

  int calls = 0;
  std::vector<int> balancesSeen;
  ExecuteDecisionOptions options;
  options.initialDelay = 1ms;
  auto withdraw = [&](EventStore& s) {
    auto model = buildDecisionModel(s, balance);
    balancesSeen.push_back(model.state);
    // A competitor withdraws between our read and our append, once.
    if (++calls == 1) appendOne(s, withdrawn);
    if (model.state < 10) throw InvalidArgumentError("insufficient funds");
    return appendOne(s, withdrawn, model.appendCondition);
  };
  CHECK(executeDecision(*store, withdraw, options) == 4);
  CHECK(calls == 2);
  CHECK(balancesSeen == std::vector<int>{20, 10});
  CHECK(buildDecisionModel(*store, balance).state == 0);

  // The next withdrawal is refused by the rule, not by a conflict: one call only.
  CHECK_THROWS_AS(executeDecision(*store, withdraw, options), InvalidArgumentError);
  CHECK(calls == 3);
  CHECK(readAll(*store, Query::all()).size() == 4);
}
