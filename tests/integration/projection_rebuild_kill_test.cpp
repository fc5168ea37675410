// A rebuild killed with SIGKILL in a child process resumes and ends with exactly the state of an
// uninterrupted rebuild: no event applied twice or lost. On both storage engines.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "child_process.hpp"
#include "opossum/opossum.hpp"
#include "projection_fixtures.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::Counter;
using opossum::test::counterProjection;
using opossum::test::noise;
using opossum::test::sale;
using opossum::test::TempDir;
namespace fs = std::filesystem;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

constexpr int kEvents = 4000;

// A counter projection slow enough to be killed in the middle of its rebuild.
ProjectionDefinition<Counter> slowCounter() {
  auto definition = counterProjection();
  auto inner = definition.apply;
  definition.apply = [inner](std::optional<Counter> c, const SequencedEvent& e) {
    std::this_thread::sleep_for(std::chrono::microseconds(150));
    return inner(std::move(c), e);
  };
  return definition;
}

ProjectionRebuilderOptions smallSteps() {
  return {.batchSize = 64, .flushInterval = 100, .cacheSize = 8};
}

std::vector<std::pair<std::string, Counter>> rebuildUninterrupted(const fs::path& root,
                                                                  const fs::path& base) {
  auto store = opossum::test::openStore(root, "p");
  ProjectionManager manager({.eventStore = store, .basePath = base});
  manager.registerProjection(counterProjection());
  ProjectionRebuilder(manager, smallSteps()).rebuild("sales");
  return manager.getStore<Counter>("sales").getAllWithKeys();
}

std::uint64_t progressOf(const fs::path& rebuildFile) {
  std::error_code ec;
  if (!fs::exists(rebuildFile, ec)) return 0;
  std::ifstream in(rebuildFile);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto at = text.find("\"position\":");
  if (at == std::string::npos) return 0;
  return std::stoull(text.substr(at + 11));
}

}  // namespace

TEST_CASE("a rebuild killed by SIGKILL resumes to exactly the uninterrupted state",
          "[rebuild][crash][engines]") {
  TempDir dir;
  {
    auto store = opossum::test::openStore(dir.path(), "p", /*flush=*/false);
    std::vector<NewEvent> events;
    for (int i = 0; i < kEvents; ++i) {
      events.push_back(sale("shop" + std::to_string((i * 7) % 53)));
      if (i % 9 == 0) events.push_back(noise());
    }
    appendEvents(*store, events);
  }
  const auto expected = rebuildUninterrupted(dir.path(), dir / "reference");
  REQUIRE(expected.size() == 53);

  const fs::path base = dir / "killed";
  const fs::path rebuildFile = base / "_checkpoints" / "sales.rebuild.json";
  std::uint64_t lastKill = 0;
  // Kill it three times at later and later points, then let a fresh process finish.
  for (int round = 0; round < 3; ++round) {
    pid_t child = opossum::test::forkChild([&] {
      auto store = opossum::test::openStore(dir.path(), "p");
      ProjectionManager manager({.eventStore = store, .basePath = base});
      manager.registerProjection(slowCounter());
      ProjectionRebuilder(manager, smallSteps()).rebuild("sales");
      return 0;
    });
    // Wait until it has flushed progress beyond the last kill, then kill it mid-flight.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (progressOf(rebuildFile) <= lastKill + 300 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(7 * round + 3));
    ::kill(child, SIGKILL);
    int status = opossum::test::waitChild(child);
    REQUIRE(status == -SIGKILL);  // it was still rebuilding
    lastKill = progressOf(rebuildFile);
    REQUIRE(lastKill > 0);
  }

  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store, .basePath = base});
  manager.registerProjection(counterProjection());
  ProjectionRebuilder rebuilder(manager, smallSteps());
  auto status = rebuilder.status("sales");
  CHECK(status.interrupted);
  CHECK(status.progress == lastKill);
  // Readers still see the state from before the rebuild (none).
  CHECK_FALSE(manager.hasCheckpoint("sales"));
  CHECK(manager.getStore<Counter>("sales").getAll().empty());

  auto result = rebuilder.rebuild("sales");
  CHECK(result.resumed);
  auto actual = manager.getStore<Counter>("sales").getAllWithKeys();
  CHECK(actual == expected);
  long long total = 0;
  for (const auto& [key, counter] : actual) total += counter.count;
  CHECK(total == kEvents);
  CHECK(result.eventsProcessed == static_cast<std::size_t>(kEvents));

  // Nothing temporary is left: one generation, no journals, no rebuild record.
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(base)) {
    names.push_back(fs::relative(entry.path(), base).generic_string());
  }
  auto has = [&](const std::string& part) {
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& n) { return n.find(part) != std::string::npos; });
  };
  CHECK_FALSE(has("tmp"));
  CHECK_FALSE(has("journal"));
  CHECK_FALSE(has("rebuild"));
  CHECK_FALSE(has("sales/g1"));
  CHECK(has("sales/g2"));
}

TEST_CASE("a live update killed in the middle of its batch is finished on the next start",
          "[projections][crash][engines]") {
  TempDir dir;
  {
    auto store = opossum::test::openStore(dir.path(), "p", /*flush=*/false);
    std::vector<NewEvent> events;
    for (int i = 0; i < 3000; ++i) events.push_back(sale("shop" + std::to_string(i % 41)));
    appendEvents(*store, events);
  }
  const auto expected = rebuildUninterrupted(dir.path(), dir / "reference");
  const fs::path base = dir / "live";
  pid_t child = opossum::test::forkChild([&] {
    auto store = opossum::test::openStore(dir.path(), "p");
    ProjectionManager manager({.eventStore = store, .basePath = base});
    manager.registerProjection(slowCounter());
    for (Position from = 0; from < 3000; from += 50) {
      ReadOptions read;
      read.fromPosition = from;
      read.maxCount = 50;
      manager.update(store->read(Query::all(), read));
    }
    return 0;
  });
  // Once a first batch is checkpointed (a slow start, under a sanitizer, must not make the kill
  // come before it), the kill lands in a later batch.
  const fs::path checkpointFile = base / "_checkpoints" / "sales.json";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!fs::exists(checkpointFile) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(child, SIGKILL);
  REQUIRE(opossum::test::waitChild(child) == -SIGKILL);

  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store, .basePath = base});
  manager.registerProjection(counterProjection());
  CHECK(manager.checkpoint("sales") > 0);
  CHECK(manager.checkpoint("sales") < 3000);
  manager.update(readFrom(*store, Query::all(), manager.checkpoint("sales")));
  CHECK(manager.getStore<Counter>("sales").getAllWithKeys() == expected);
}
