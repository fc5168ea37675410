// ProjectionRebuilder: rebuilds into a new generation, commits atomically, leaves nothing behind.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "opossum/opossum.hpp"
#include "projection_fixtures.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::closing;
using opossum::test::Counter;
using opossum::test::counterProjection;
using opossum::test::noise;
using opossum::test::sale;
using opossum::test::TempDir;
namespace fs = std::filesystem;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

// Relative names of every file and folder below `dir`.
std::vector<std::string> tree(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    out.push_back(fs::relative(entry.path(), dir).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool anyNameContains(const std::vector<std::string>& names, const std::string& part) {
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

}  // namespace

TEST_CASE("rebuild of an empty store commits an empty state at checkpoint 0", "[rebuild]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection());
  ProjectionRebuilder rebuilder(manager);
  auto result = rebuilder.rebuild("sales");
  CHECK(result.projection == "sales");
  CHECK(result.eventsProcessed == 0);
  CHECK(result.checkpoint == 0);
  CHECK_FALSE(result.resumed);
  CHECK(result.durationMs >= 0);
  CHECK(manager.hasCheckpoint("sales"));
  CHECK(manager.checkpoint("sales") == 0);
  CHECK(manager.getStore<Counter>("sales").getAll().empty());
  auto status = rebuilder.status("sales");
  CHECK_FALSE(status.rebuilding);
  CHECK_FALSE(status.interrupted);
  CHECK_FALSE(anyNameContains(tree(manager.basePath()), "rebuild"));
}

TEST_CASE("rebuild replaces the state with one built from every event", "[rebuild]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection());
  std::vector<NewEvent> events;
  for (int i = 0; i < 500; ++i) {
    events.push_back(sale("shop" + std::to_string(i % 37)));
    if (i % 5 == 0) events.push_back(noise());
  }
  events.push_back(closing("shop3"));
  appendEvents(*store, events);
  manager.update(readAll(*store, Query::all()));
  auto sales = manager.getStore<Counter>("sales");
  auto incremental = sales.getAllWithKeys();
  // Damage the live state; the rebuild must not care.
  sales.save("shop1", Counter{999, "shop1"});
  sales.save("ghost", Counter{1, "ghost"});

  // Small batches, flushes and cache: many flushes, instances evicted and read back.
  ProjectionRebuilder rebuilder(manager, {.batchSize = 17, .flushInterval = 29, .cacheSize = 5});
  auto result = rebuilder.rebuild("sales");
  CHECK(result.eventsProcessed == 501);
  CHECK(result.flushes > 10);
  CHECK(result.checkpoint == store->readLast(Query::all())->position);
  CHECK(sales.getAllWithKeys() == incremental);
  CHECK_FALSE(sales.get("ghost").has_value());
  CHECK(sales.queryByTag({"shop", "shop3"}).empty());
  CHECK(sales.queryByTag({"size", "big"}).size() == 36);

  // Only the new generation is left: no old generation, no temporary folders, no journal.
  auto names = tree(manager.basePath());
  CHECK_FALSE(anyNameContains(names, "g1"));
  CHECK(anyNameContains(names, "g2"));
  CHECK_FALSE(anyNameContains(names, "tmp"));
  CHECK_FALSE(anyNameContains(names, "journal"));
  CHECK_FALSE(anyNameContains(names, "rebuild"));

  // Live updates go on from the rebuilt checkpoint.
  appendOne(*store, sale("shop1"));
  manager.update(readFrom(*store, Query::all(), result.checkpoint));
  CHECK(sales.get("shop1")->count == incremental[1].second.count + 1);
}

TEST_CASE("rebuildAll without force rebuilds only projections without a checkpoint", "[rebuild]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  appendEvents(*store, {sale("a"), sale("b")});
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection("old"));
  manager.update(readAll(*store, Query::all()));
  manager.registerProjection(counterProjection("new"));
  ProjectionRebuilder rebuilder(manager);

  auto first = rebuilder.rebuildAll();
  REQUIRE(first.rebuilt.size() == 1);
  CHECK(first.rebuilt[0].projection == "new");
  CHECK(first.eventsProcessed == 2);
  CHECK(manager.getStore<Counter>("new").getAll().size() == 2);

  CHECK(rebuilder.rebuildAll().rebuilt.empty());
  auto forced = rebuilder.rebuildAll({.force = true});
  CHECK(forced.rebuilt.size() == 2);
  CHECK(manager.getStore<Counter>("old").get("a") == Counter{1, "a"});
}

TEST_CASE("readers see the old state until the rebuild commits; live updates skip it",
          "[rebuild]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  appendEvents(*store, {sale("a"), sale("a")});
  ProjectionManager manager({.eventStore = store});
  std::atomic<bool> hold{false};
  std::promise<void> entered;
  std::promise<void> release;
  auto releaseFuture = release.get_future().share();
  std::atomic<bool> signalled{false};
  auto definition = counterProjection();
  auto inner = definition.apply;
  definition.apply = [&, inner](std::optional<Counter> c, const SequencedEvent& e) {
    if (hold && !signalled.exchange(true)) {
      entered.set_value();
      releaseFuture.wait();
    }
    return inner(std::move(c), e);
  };
  manager.registerProjection(definition);
  manager.update(readAll(*store, Query::all()));
  auto sales = manager.getStore<Counter>("sales");
  sales.save("a", Counter{100, "a"});  // what readers see before the commit

  hold = true;
  ProjectionRebuilder rebuilder(manager);
  auto running = std::async(std::launch::async, [&] { return rebuilder.rebuild("sales"); });
  entered.get_future().wait();
  CHECK(rebuilder.status("sales").rebuilding);
  CHECK(sales.get("a") == Counter{100, "a"});
  appendOne(*store, sale("a"));
  manager.update(readFrom(*store, Query::all(), 2));  // skipped: the rebuild will catch up
  CHECK(manager.checkpoint("sales") == 2);
  release.set_value();
  auto result = running.get();
  CHECK(result.checkpoint == 3);
  CHECK(sales.get("a") == Counter{3, "a"});
  CHECK(manager.checkpoint("sales") == 3);
}
