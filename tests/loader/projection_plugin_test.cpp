// Vendor projection plugins listed in a config (plugins.projections.libraries): the manager loads
// them, the daemon and the rebuilder run them like in-process projections, their state reads as
// JSON text through getStore<std::string>, and bad library names are PluginErrors.
#include <dlfcn.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "opossum/opossum.hpp"
#include "projection_fixtures.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace opossum;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using opossum::test::TempDir;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

const fs::path kFixtures = OPOSSUM_LOADER_FIXTURE_DIR;
const fs::path kProjectionFile = kFixtures / "projection" / "libfixture_projection.so";
constexpr const char* kName = "fixture-points";

// A config in `dir` whose plugin path is the fixture folders and whose projection libraries are
// `libraries` (a JSON array).
fs::path writeConfig(const TempDir& dir, const std::string& libraries,
                     const std::string& file = "store.json") {
  std::ofstream(dir / file) << R"({"store": {"name": "shop", "rootPath": ")" << dir.path().string()
                            << R"("}, "plugins": {"path": [")"
                            << (kFixtures / "projection").string() << R"(", ")"
                            << (kFixtures / "valid").string()
                            << R"("], "projections": {"libraries": )" << libraries << "}}}";
  return dir / file;
}

NewEvent earned(const std::string& member, int points) {
  return NewEvent{
      DomainEvent{"PointsEarned",
                  R"({"member":")" + member + R"(","points":)" + std::to_string(points) + "}",
                  {{"member", member}}},
      {}};
}
NewEvent left(const std::string& member) {
  return NewEvent{
      DomainEvent{"MemberLeft", R"({"member":")" + member + R"("})", {{"member", member}}}, {}};
}

bool isLoaded(const fs::path& file) {
  void* handle = dlopen(file.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle != nullptr) dlclose(handle);
  return handle != nullptr;
}

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

std::string pluginErrorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const PluginError& e) {
    return e.what();
  }
  FAIL("expected a PluginError");
  return "";
}

}  // namespace

TEST_CASE("the fixture projection plugin was built", "[projection-plugin]") {
  REQUIRE(fs::is_regular_file(kProjectionFile));
}

TEST_CASE("a projection plugin from the config is run by the daemon and read as JSON",
          "[projection-plugin]") {
  TempDir dir;
  auto store = createEventStoreFromConfig(writeConfig(dir, R"(["fixture-points"])"));
  appendEvents(*store, {earned("m-1", 40), earned("m-2", 5), opossum::test::noise()});
  {
    ProjectionManager manager({.eventStore = store});
    CHECK(manager.projectionNames() == std::vector<std::string>{kName});
    CHECK(isLoaded(kProjectionFile));
    ProjectionDaemon daemon(manager, {.pollingInterval = 50ms});
    daemon.start();
    CHECK(eventually([&] { return manager.checkpoint(kName) == 3; }));
    appendEvents(*store, {earned("m-1", 70), earned("m-3", 1), left("m-2")});
    CHECK(eventually([&] { return manager.checkpoint(kName) == 6; }));
    daemon.stop();

    auto points = manager.getStore<std::string>(kName);
    CHECK(points.get("m-1") == R"({"points":110,"level":"gold"})");
    CHECK(points.get("m-3") == R"({"points":1,"level":"basic"})");
    CHECK_FALSE(points.get("m-2"));  // MemberLeft: apply returned nullopt
    CHECK(points.queryByTag({"level", "gold"}) ==
          std::vector<std::string>{R"({"points":110,"level":"gold"})"});
    CHECK(points.queryByTag({"level", "basic"}) ==
          std::vector<std::string>{R"({"points":1,"level":"basic"})"});
    // save goes through the plugin's tags() too.
    points.save("m-4", R"({"points": 500, "level": "gold"})");
    CHECK(points.queryByTag({"level", "gold"}).size() == 2);
    CHECK_THROWS_AS(manager.getStore<opossum::test::Counter>(kName), InvalidArgumentError);
  }
  // The manager held the plugin; with it gone the library is unloaded.
  CHECK_FALSE(isLoaded(kProjectionFile));

  // After a restart the state, tag index and checkpoint are still there.
  auto reopened = createEventStoreFromConfig(dir / "store.json");
  ProjectionManager manager({.eventStore = reopened});
  CHECK(manager.checkpoint(kName) == 6);
  CHECK(manager.getStore<std::string>(kName).queryByTag({"level", "gold"}).size() == 2);
}

TEST_CASE("the rebuilder rebuilds a projection plugin like an in-process one",
          "[projection-plugin]") {
  TempDir dir;
  auto store = createEventStoreFromConfig(writeConfig(dir, R"(["fixture-points"])"));
  std::vector<NewEvent> events;
  for (int i = 0; i < 30; ++i) events.push_back(earned("m-" + std::to_string(i % 3), 10));
  events.push_back(left("m-2"));
  appendEvents(*store, events);

  ProjectionManager manager({.eventStore = store});
  ProjectionRebuilder rebuilder(manager, {.batchSize = 7, .flushInterval = 5});
  CHECK_FALSE(manager.hasCheckpoint(kName));
  auto all = rebuilder.rebuildAll();  // no checkpoint yet: rebuilt without force
  REQUIRE(all.rebuilt.size() == 1);
  CHECK(all.rebuilt[0].projection == kName);
  CHECK(all.rebuilt[0].eventsProcessed == 31);
  CHECK(manager.checkpoint(kName) == 31);
  auto points = manager.getStore<std::string>(kName);
  CHECK(points.get("m-0") == R"({"points":100,"level":"gold"})");
  CHECK(points.get("m-1") == R"({"points":100,"level":"gold"})");
  CHECK_FALSE(points.get("m-2"));

  // A damaged state is replaced by one built from every event.
  points.save("m-0", R"({"points":1,"level":"basic"})");
  appendOne(*store, earned("m-1", 1));
  auto result = rebuilder.rebuild(kName);
  CHECK(result.eventsProcessed == 32);
  CHECK(result.checkpoint == 32);
  CHECK(points.get("m-0") == R"({"points":100,"level":"gold"})");
  CHECK(points.get("m-1") == R"({"points":101,"level":"gold"})");
  CHECK(points.queryByTag({"level", "basic"}).empty());
}

TEST_CASE("a projection plugin's failure is reported under its name, the others advance",
          "[projection-plugin]") {
  TempDir dir;
  auto store = createEventStoreFromConfig(writeConfig(dir, R"(["fixture-points"])"));
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(opossum::test::counterProjection());
  appendEvents(*store, {earned("m-1", 1), opossum::test::sale("a"),
                        NewEvent{DomainEvent{"Boom", R"({"member":"m-1"})", {}}, {}}});
  try {
    manager.update(readAll(*store, Query::all()));
    FAIL("expected a ProjectionError");
  } catch (const ProjectionError& e) {
    REQUIRE(e.failures().size() == 1);
    CHECK(e.failures()[0].projection == kName);
    CHECK_THAT(e.failures()[0].message, Contains("position 3") && Contains("refuses Boom"));
  }
  CHECK(manager.checkpoint("sales") == 3);
  CHECK(manager.checkpoint(kName) == 0);
  CHECK_FALSE(manager.getStore<std::string>(kName).get("m-1"));  // the batch was not half-applied
}

TEST_CASE("registerProjectionPlugin loads a plugin by name, a name twice is refused",
          "[projection-plugin]") {
  TempDir dir;
  auto store = createEventStoreFromConfig(writeConfig(dir, R"(["fixture-points"])"));
  ProjectionManager manager({.eventStore = store, .registerConfiguredProjections = false});
  CHECK(manager.projectionNames().empty());
  CHECK(manager.registerProjectionPlugin(kName) == kName);
  CHECK(manager.projectionNames() == std::vector<std::string>{kName});
  CHECK_THROWS_WITH(manager.registerProjectionPlugin(kName),
                    Contains("'fixture-points' is already registered"));
  appendOne(*store, earned("m-9", 3));
  manager.update(readAll(*store, Query::all()));
  CHECK(manager.getStore<std::string>(kName).get("m-9") == R"({"points":3,"level":"basic"})");

  // Listed twice in the config: the second registration is refused.
  auto twice = createEventStoreFromConfig(
      writeConfig(dir, R"(["fixture-points", "fixture-points"])", "twice.json"));
  CHECK_THROWS_WITH(ProjectionManager({.eventStore = twice, .basePath = dir / "twice"}),
                    Contains("'fixture-points' is already registered"));
}

TEST_CASE("an unknown projection library is a PluginError naming the key and the search path",
          "[projection-plugin]") {
  TempDir dir;
  const fs::path config = writeConfig(dir, R"(["fixture-points", "acme-nothing"])");
  auto store = createEventStoreFromConfig(config);
  const std::string message =
      pluginErrorOf([&] { ProjectionManager manager({.eventStore = store}); });
  CHECK_THAT(message, Contains(config.string()) && Contains("plugins.projections.libraries") &&
                          Contains("no projection plugin 'acme-nothing' found") &&
                          Contains((kFixtures / "projection").string()) &&
                          Contains("projection plugins found: fixture-points"));
}

TEST_CASE("a library of another kind is a PluginError saying a projection was expected",
          "[projection-plugin]") {
  TempDir dir;
  const fs::path config = writeConfig(dir, R"(["fixture-serializer"])");
  auto store = createEventStoreFromConfig(config);
  const std::string message =
      pluginErrorOf([&] { ProjectionManager manager({.eventStore = store}); });
  CHECK_THAT(message, Contains(config.string()) && Contains("plugins.projections.libraries") &&
                          Contains("libfixture_serializer.so") &&
                          Contains("is a serializer plugin named 'fixture-serializer'") &&
                          Contains("expected a projection plugin"));
  // A projection runner is not a projection either.
  const fs::path runner = writeConfig(dir, R"(["projection-daemon"])", "runner.json");
  const std::string runnerMessage = pluginErrorOf([&] {
    ProjectionManager manager(
        {.eventStore = createEventStoreFromConfig(runner), .basePath = dir / "runner"});
  });
  CHECK_THAT(runnerMessage, Contains("is a projection runner plugin named 'projection-daemon'") &&
                                Contains("expected a projection plugin"));
}
