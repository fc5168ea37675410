// A projection's instances live on disk: memory holds the unflushed changes and a bounded cache,
// whatever the number of keys (the rebuilder flushes every flushInterval events).
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "projection_generation.hpp"
#include "temp_dir.hpp"

using namespace opossum;

namespace {

// Generation 1 of projection "counter" in file state under `dir`, not synced.
detail::Generation generationIn(const test::TempDir& dir, std::size_t cacheSize,
                                bool unpublished = false) {
  auto states = sdk::fileProjectionStates(dir.path(), sdk::posixFileSystem());
  return detail::Generation(
      states->generation("counter", 1, sdk::GenerationOptions{false, false, unpublished}),
      cacheSize);
}

}  // namespace

TEST_CASE("a generation keeps at most the unflushed changes and cacheSize instances in memory") {
  test::TempDir dir;
  constexpr std::size_t kCacheSize = 50;
  detail::Generation generation = generationIn(dir, kCacheSize);
  constexpr std::size_t kKeys = 5000, kFlushEvery = 100;
  std::size_t peak = 0;
  for (std::size_t i = 0; i < kKeys; ++i) {
    std::string key = "customer-" + std::to_string(i);
    auto current = generation.load(key);
    REQUIRE_FALSE(current);
    generation.put({key, {}, "{\"count\":1}"});
    if ((i + 1) % kFlushEvery == 0) generation.flush(std::nullopt);
    peak = std::max(peak, generation.instancesInMemory());
  }
  generation.flush(std::nullopt);
  REQUIRE(peak <= kFlushEvery + kCacheSize);
  // Every instance is on disk and reads back, still within the bound.
  for (std::size_t i = 0; i < kKeys; i += 997) {
    auto entry = generation.load("customer-" + std::to_string(i));
    REQUIRE(entry);
    REQUIRE(entry->json == "{\"count\":1}");
    REQUIRE(generation.instancesInMemory() <= kCacheSize);
  }
}

TEST_CASE(
    "an unpublished generation rewrites state files in place; a published one replaces them") {
  auto inodeOf = [](const std::filesystem::path& dir) {
    REQUIRE(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator{}) == 1);
    struct stat st {};
    REQUIRE(::stat(std::filesystem::directory_iterator(dir)->path().c_str(), &st) == 0);
    return st.st_ino;
  };
  for (bool unpublished : {true, false}) {
    test::TempDir dir;
    detail::Generation generation = generationIn(dir, 0, unpublished);
    const auto states = dir / "counter" / "g1" / "state";
    generation.put({"k", {}, R"({"count":1000,"note":"a longer first value"})"});
    generation.flush(std::nullopt);
    const auto first = inodeOf(states);
    generation.put({"k", {}, R"({"count":2})"});  // shorter: nothing of the old may remain
    generation.flush(std::nullopt);
    CHECK((inodeOf(states) == first) == unpublished);

    detail::Generation reopened = generationIn(dir, 0);
    auto entry = reopened.load("k");
    REQUIRE(entry);
    CHECK(entry->json == R"({"count":2})");
  }
}
