#include <catch2/catch.hpp>

#include "opossum/query.hpp"

using opossum::DomainEvent;
using opossum::Query;
using opossum::QueryItem;
using opossum::Tag;

namespace {

DomainEvent event(std::string type, std::vector<Tag> tags = {}) {
  return DomainEvent{std::move(type), "{}", std::move(tags)};
}

}  // namespace

TEST_CASE("Query::all and the default query match every event", "[query]") {
  CHECK(Query::all().matches(event("A")));
  CHECK(Query().matches(event("B", {{"k", "v"}})));
  CHECK(Query::all().matchesEverything());
  CHECK(Query::all().items().empty());
  CHECK(Query::all() == Query());
}

TEST_CASE("fromEventTypes ORs the types", "[query]") {
  Query query = Query::fromEventTypes({"A", "B"});
  REQUIRE(query.items().size() == 1);
  CHECK(query.matches(event("A")));
  CHECK(query.matches(event("B", {{"k", "v"}})));
  CHECK_FALSE(query.matches(event("C")));
  CHECK_FALSE(query.matchesEverything());
}

TEST_CASE("event types are compared case-sensitively", "[query]") {
  Query query = Query::fromEventTypes({"OrderPlaced"});
  CHECK_FALSE(query.matches(event("orderplaced")));
  CHECK_FALSE(query.matches(event("OrderPlaced ")));
  CHECK(query.matches(event("OrderPlaced")));
}

TEST_CASE("fromTags requires every tag", "[query]") {
  Query query = Query::fromTags({{"a", "1"}, {"b", "2"}});
  CHECK(query.matches(event("X", {{"b", "2"}, {"a", "1"}})));
  CHECK(query.matches(event("X", {{"a", "1"}, {"c", "3"}, {"b", "2"}})));
  CHECK_FALSE(query.matches(event("X", {{"a", "1"}})));
  CHECK_FALSE(query.matches(event("X")));
}

TEST_CASE("tags are compared exactly and case-sensitively", "[query]") {
  Query query = Query::fromTags({{"Customer", "Ann"}});
  CHECK(query.matches(event("X", {{"Customer", "Ann"}})));
  CHECK_FALSE(query.matches(event("X", {{"customer", "Ann"}})));
  CHECK_FALSE(query.matches(event("X", {{"Customer", "ann"}})));
  CHECK_FALSE(query.matches(event("X", {{"Customer", "Ann "}})));
  CHECK_FALSE(query.matches(event("X", {{"CustomerAnn", ""}})));
}

TEST_CASE("a tag with an empty value only matches an empty value", "[query]") {
  Query query = Query::fromTags({{"flag", ""}});
  CHECK(query.matches(event("X", {{"flag", ""}})));
  CHECK_FALSE(query.matches(event("X", {{"flag", "x"}})));
  CHECK_FALSE(Query::fromTags({{"flag", "x"}}).matches(event("X", {{"flag", ""}})));
}

TEST_CASE("an item combines types (OR) and tags (AND)", "[query]") {
  QueryItem item{{"A", "B"}, {{"k", "v"}}};
  CHECK(item.matches(event("A", {{"k", "v"}})));
  CHECK(item.matches(event("B", {{"k", "v"}, {"z", ""}})));
  CHECK_FALSE(item.matches(event("A")));
  CHECK_FALSE(item.matches(event("C", {{"k", "v"}})));
}

TEST_CASE("items are OR-combined", "[query]") {
  Query query = Query::fromItems({QueryItem{{"A"}, {}}, QueryItem{{}, {{"k", "v"}}}});
  CHECK(query.matches(event("A")));
  CHECK(query.matches(event("Z", {{"k", "v"}})));
  CHECK_FALSE(query.matches(event("Z", {{"k", "w"}})));
  CHECK_FALSE(query.matchesEverything());
}

TEST_CASE("an item with neither types nor tags matches everything", "[query]") {
  Query query = Query::fromItems({QueryItem{{"A"}, {}}, QueryItem{}});
  CHECK(query.matchesEverything());
  CHECK(query.matches(event("Z", {{"k", "w"}})));
  CHECK(QueryItem{}.matches(event("anything")));
  CHECK(Query::fromTags({}).matchesEverything());
  CHECK(Query::fromEventTypes({}).matches(event("Q")));
}

TEST_CASE("fromItems with no items matches everything", "[query]") {
  Query query = Query::fromItems({});
  CHECK(query.matchesEverything());
  CHECK(query.matches(event("A")));
}
