// ProjectionDaemon through the "projection-daemon" runner plugin: background updates, the error
// callback, prompt and idempotent start/stop, the runner named in the config.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include "opossum/opossum.hpp"
#include "projection_fixtures.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using namespace std::chrono_literals;
using opossum::test::Counter;
using opossum::test::counterProjection;
using opossum::test::sale;
using opossum::test::TempDir;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

}  // namespace

TEST_CASE("the daemon applies events appended while it runs", "[daemon][engines]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  appendEvents(*store, {sale("a"), sale("b")});
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection());
  ProjectionDaemon daemon(manager, {.pollingInterval = 50ms, .batchSize = 7});
  CHECK(daemon.pollingInterval() == 50ms);
  CHECK(daemon.batchSize() == 7);
  CHECK_FALSE(daemon.running());
  daemon.start();
  daemon.start();  // idempotent
  CHECK(daemon.running());
  CHECK(eventually([&] { return manager.checkpoint("sales") == 2; }));
  std::vector<NewEvent> more;
  for (int i = 0; i < 40; ++i) more.push_back(sale("a"));
  appendEvents(*store, more);
  CHECK(eventually([&] { return manager.checkpoint("sales") == 42; }));
  CHECK(manager.getStore<Counter>("sales").get("a") == Counter{41, "a"});
  daemon.stop();
  daemon.stop();  // idempotent
  CHECK_FALSE(daemon.running());
  appendOne(*store, sale("a"));
  std::this_thread::sleep_for(150ms);
  CHECK(manager.checkpoint("sales") == 42);  // stopped means stopped
  daemon.start();                            // and it starts again
  CHECK(eventually([&] { return manager.checkpoint("sales") == 43; }));
}

TEST_CASE("stop returns promptly, well within the polling interval", "[daemon]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection());
  ProjectionDaemon daemon(manager);  // default interval: 5000 ms
  CHECK(daemon.pollingInterval() == 5000ms);
  CHECK(daemon.batchSize() == 1000);
  daemon.start();
  std::this_thread::sleep_for(100ms);  // the thread now waits for its next poll
  const auto before = std::chrono::steady_clock::now();
  daemon.stop();
  const auto took = std::chrono::steady_clock::now() - before;
  CHECK(took < 500ms);
  CHECK_FALSE(daemon.running());
}

TEST_CASE("failures reach onError, the daemon keeps running and the others advance",
          "[daemon][engines]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store});
  auto failing = counterProjection("failing");
  failing.apply = [](std::optional<Counter>, const SequencedEvent& e) -> std::optional<Counter> {
    if (e.position == 3) throw std::runtime_error("cannot apply three");
    return Counter{1, "x"};
  };
  manager.registerProjection(failing);
  manager.registerProjection(counterProjection("good"));

  std::mutex mutex;
  std::vector<std::string> errors;
  ProjectionDaemon daemon(
      manager, {.pollingInterval = 30ms, .batchSize = 4, .onError = [&](const std::exception& e) {
                  std::lock_guard lock(mutex);
                  auto* projection = dynamic_cast<const ProjectionError*>(&e);
                  errors.push_back(projection ? projection->failures()[0].projection
                                              : std::string("other: ") + e.what());
                }});
  std::vector<NewEvent> events;
  for (int i = 0; i < 20; ++i) events.push_back(sale("s" + std::to_string(i)));
  appendEvents(*store, events);
  daemon.start();
  // The failing projection does not hold the good one back beyond its first batch.
  CHECK(eventually([&] { return manager.checkpoint("good") == 20; }));
  CHECK(eventually([&] {
    std::lock_guard lock(mutex);
    return errors.size() >= 2;  // reported again on retry
  }));
  CHECK(daemon.running());
  {
    std::lock_guard lock(mutex);
    for (const auto& name : errors) CHECK(name == "failing");
  }
  CHECK(manager.checkpoint("failing") == 0);
  daemon.stop();
}

TEST_CASE("the runner and its settings come from the store's config", "[daemon]") {
  TempDir dir;
  auto write = [&](const std::string& name, const std::string& runner) {
    std::ofstream(dir / name) << R"({"store": {"name": "p", "rootPath": ")" << dir.path().string()
                              << R"("}, "plugins": {"projections": {"runner": )" << runner << "}}}";
    return dir / name;
  };
  auto store = createEventStoreFromConfig(write(
      "good.json", R"({"name": "projection-daemon", "pollingIntervalMs": 40, "batchSize": 9})"));
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection());
  ProjectionDaemon daemon(manager);
  CHECK(daemon.pollingInterval() == 40ms);
  CHECK(daemon.batchSize() == 9);
  ProjectionDaemon overridden(manager, {.pollingInterval = 70ms});
  CHECK(overridden.pollingInterval() == 70ms);
  appendOne(*store, sale("a"));
  daemon.start();
  CHECK(eventually([&] { return manager.checkpoint("sales") == 1; }));
  daemon.stop();

  auto missing = createEventStoreFromConfig(write("missing.json", R"({"name": "no-such-runner"})"));
  ProjectionManager other({.eventStore = missing, .basePath = dir / "other"});
  CHECK_THROWS_WITH(ProjectionDaemon(other), Catch::Contains("no-such-runner"));
  auto unknown = createEventStoreFromConfig(
      write("unknown.json", R"({"name": "projection-daemon", "colour": "red"})"));
  ProjectionManager third({.eventStore = unknown, .basePath = dir / "third"});
  CHECK_THROWS_WITH(ProjectionDaemon(third), Catch::Contains("colour"));
}
