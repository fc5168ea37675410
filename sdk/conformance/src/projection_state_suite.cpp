#include "opossum/sdk/conformance/projection_state_suite.hpp"

#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "scratch_dir.hpp"

namespace opossum::sdk::conformance {

namespace {

namespace fs = std::filesystem;
using detail::ScratchDir;

ProjectionInstance instance(std::string key, std::vector<Tag> tags, std::string json) {
  return ProjectionInstance{std::move(key), std::move(tags), std::move(json)};
}

InstanceChange put(const ProjectionInstance& next, std::vector<Tag> stored = {}) {
  return InstanceChange{next.key, next, std::move(stored)};
}

InstanceChange del(std::string key, std::vector<Tag> stored) {
  return InstanceChange{std::move(key), std::nullopt, std::move(stored)};
}

ProjectionRecord checkpoint(std::string content) {
  return ProjectionRecord{ProjectionRecordKind::checkpoint, std::move(content)};
}

std::vector<std::string> keysOf(const std::vector<ProjectionInstance>& instances) {
  std::vector<std::string> keys;
  for (const auto& i : instances) keys.push_back(i.key);
  return keys;
}

std::vector<std::uint64_t> sorted(std::vector<std::uint64_t> values) {
  std::sort(values.begin(), values.end());
  return values;
}

constexpr GenerationOptions kDurable{true, false, false};

}  // namespace

void checkProjectionStatesConformance(
    const std::function<std::shared_ptr<ProjectionStates>(const fs::path& storeDir)>& make) {
  ScratchDir scratch("states");
  const fs::path dir = scratch.path() / "store";
  auto states = make(dir);
  REQUIRE(states);
  const Tag red{"color", "red"}, blue{"color", "blue"}, big{"size", "big"};

  SECTION("a new store has no records, no generations and no instances") {
    CHECK_FALSE(states->readRecord("counter", ProjectionRecordKind::checkpoint));
    CHECK_FALSE(states->readRecord("counter", ProjectionRecordKind::rebuild));
    CHECK(states->generations("counter").empty());
    auto generation = states->generation("counter", 1, kDurable);
    generation->recover();
    CHECK_FALSE(generation->read("k"));
    CHECK(generation->all().empty());
    CHECK(generation->withTags({red}).empty());
    CHECK(generation->count() == 0);
  }

  SECTION("a write stores its instances and its record together; another object sees them") {
    auto generation = states->generation("counter", 1, kDurable);
    generation->write(
        {put(instance("b", {red}, R"({"n":2})")), put(instance("a", {red, big}, R"({"n":1.50})")),
         put(instance("c", {}, R"([1,{"x":null}])"))},
        checkpoint("checkpoint at 7"));
    auto second = make(dir);
    auto again = second->generation("counter", 1, kDurable);
    auto a = again->read("a");
    REQUIRE(a);
    CHECK(*a == instance("a", {red, big}, R"({"n":1.50})"));  // numbers as written
    CHECK(again->read("c")->json == R"([1,{"x":null}])");
    CHECK(keysOf(again->all()) == std::vector<std::string>{"a", "b", "c"});
    CHECK(again->count() == 3);
    CHECK(make(dir)->readRecord("counter", ProjectionRecordKind::checkpoint) ==
          std::optional<std::string>("checkpoint at 7"));
    CHECK(sorted(states->generations("counter")) == std::vector<std::uint64_t>{1});
  }

  SECTION("changes replace and delete instances, and their tags follow") {
    auto generation = states->generation("counter", 1, kDurable);
    generation->write(
        {put(instance("a", {red}, R"({"n":1})")), put(instance("b", {red}, R"({"n":2})"))},
        std::nullopt);
    generation->write({put(instance("a", {blue}, R"({"n":3})"), {red}), del("b", {red})},
                      checkpoint("two"));
    CHECK(generation->withTags({red}).empty());
    CHECK(keysOf(generation->withTags({blue})) == std::vector<std::string>{"a"});
    CHECK(generation->read("a")->json == R"({"n":3})");
    CHECK_FALSE(generation->read("b"));
    CHECK(generation->count() == 1);
  }

  SECTION("withTags needs every tag, and a tag is its key and value together") {
    auto generation = states->generation("counter", 1, kDurable);
    generation->write({put(instance("both", {red, big}, "{}")), put(instance("red", {red}, "{}")),
                       put(instance("swapped", {Tag{"red", "color"}}, "{}"))},
                      std::nullopt);
    CHECK(keysOf(generation->withTags({red})) == std::vector<std::string>{"both", "red"});
    CHECK(keysOf(generation->withTags({red, big})) == std::vector<std::string>{"both"});
    CHECK(generation->withTags({red, Tag{"size", "small"}}).empty());
    CHECK(keysOf(generation->withTags({Tag{"red", "color"}})) ==
          std::vector<std::string>{"swapped"});
    CHECK(keysOf(generation->withTags({})) == std::vector<std::string>{"both", "red", "swapped"});
  }

  SECTION("generations and projections are apart; removeGeneration removes one") {
    states->generation("counter", 1, kDurable)->write({put(instance("k", {}, "1"))}, std::nullopt);
    states->generation("counter", 2, kDurable)->write({put(instance("k", {}, "2"))}, std::nullopt);
    states->generation("other", 1, kDurable)->write({put(instance("k", {}, "3"))}, std::nullopt);
    CHECK(states->generation("counter", 1, kDurable)->read("k")->json == "1");
    CHECK(states->generation("counter", 2, kDurable)->read("k")->json == "2");
    CHECK(states->generation("other", 1, kDurable)->read("k")->json == "3");
    CHECK(sorted(states->generations("counter")) == std::vector<std::uint64_t>{1, 2});
    states->removeGeneration("counter", 1);
    CHECK(states->generation("counter", 1, kDurable)->all().empty());
    CHECK(states->generation("counter", 2, kDurable)->read("k")->json == "2");
    CHECK(sorted(states->generations("counter")) == std::vector<std::uint64_t>{2});
    CHECK(states->generation("other", 1, kDurable)->count() == 1);
  }

  SECTION("records: each kind of each projection on its own; writeRecord replaces") {
    states->writeRecord("counter", checkpoint("c1"), kDurable);
    states->writeRecord("counter", {ProjectionRecordKind::rebuild, "r1"}, kDurable);
    states->writeRecord("other", checkpoint("o1"), kDurable);
    states->writeRecord("counter", checkpoint("c2"), kDurable);
    CHECK(states->readRecord("counter", ProjectionRecordKind::checkpoint) ==
          std::optional<std::string>("c2"));
    CHECK(states->readRecord("counter", ProjectionRecordKind::rebuild) ==
          std::optional<std::string>("r1"));
    states->removeRecord("counter", ProjectionRecordKind::rebuild);
    CHECK_FALSE(states->readRecord("counter", ProjectionRecordKind::rebuild));
    CHECK(states->readRecord("other", ProjectionRecordKind::checkpoint) ==
          std::optional<std::string>("o1"));
  }

  SECTION("keys, tags and states keep any UTF-8 text; writes that need not be durable read back") {
    const std::string key = "k\xC3\xA4y / \"quoted\" \\ 1";
    const Tag tag{"n\xC3\xA4me", "v/\"x\""};
    auto generation = states->generation("proj \xE2\x82\xAC", 3, GenerationOptions{false});
    generation->write({put(instance(key, {tag}, "{\"s\":\"\xC3\xBC \\\"q\\\"\"}"))}, std::nullopt);
    auto read = make(dir)->generation("proj \xE2\x82\xAC", 3, kDurable)->read(key);
    REQUIRE(read);
    CHECK(read->tags == std::vector<Tag>{tag});
    CHECK(read->json == "{\"s\":\"\xC3\xBC \\\"q\\\"\"}");
    CHECK(keysOf(generation->withTags({tag})) == std::vector<std::string>{key});
  }
}

}  // namespace opossum::sdk::conformance
