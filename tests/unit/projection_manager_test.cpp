// ProjectionManager and ProjectionStore: incremental updates, checkpoints, the tag index, the
// files on disk and their recovery.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <stdexcept>

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

std::vector<std::string> shops(std::vector<Counter> counters) {
  std::vector<std::string> out;
  for (const auto& c : counters) out.push_back(c.shop);
  std::sort(out.begin(), out.end());
  return out;
}

// Every file below `dir` whose name contains `part`.
std::vector<fs::path> filesContaining(const fs::path& dir, const std::string& part) {
  std::vector<fs::path> out;
  if (!fs::exists(dir)) return out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().filename().string().find(part) != std::string::npos) out.push_back(entry);
  }
  return out;
}

// Fails one chosen operation once, like a crash or a full disk at that point.
class FailingFileSystem : public sdk::FileSystemWrapper {
 public:
  using sdk::FileSystemWrapper::FileSystemWrapper;
  std::string failRenameTo;   // fail rename() whose target's name contains this
  std::string failReplaceOf;  // fail replaceFile() whose path contains this
  void rename(const fs::path& from, const fs::path& to) override {
    if (!failRenameTo.empty() && to.string().find(failRenameTo) != std::string::npos) {
      failRenameTo.clear();
      throw IoError("injected rename failure '" + to.string() + "'");
    }
    FileSystemWrapper::rename(from, to);
  }
  void replaceFile(const fs::path& p, std::string_view d, bool s) override {
    if (!failReplaceOf.empty() && p.string().find(failReplaceOf) != std::string::npos) {
      failReplaceOf.clear();
      throw IoError("injected replace failure '" + p.string() + "'");
    }
    FileSystemWrapper::replaceFile(p, d, s);
  }
};

}  // namespace

TEST_CASE("update applies events per key and the store answers get, getAll and tags",
          "[projections]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection());
  CHECK(manager.basePath() == dir.path() / "p" / "projections");
  CHECK_FALSE(manager.hasCheckpoint("sales"));

  appendEvents(*store, {sale("north"), sale("south"), sale("north"), sale("north")});
  manager.update(readAll(*store, Query::all()));

  auto sales = manager.getStore<Counter>("sales");
  CHECK(sales.get("north") == Counter{3, "north"});
  CHECK(sales.get("south") == Counter{1, "south"});
  CHECK_FALSE(sales.get("east").has_value());
  CHECK(shops(sales.getAll()) == std::vector<std::string>{"north", "south"});
  CHECK(shops(sales.queryByTag({"size", "big"})) == std::vector<std::string>{"north"});
  CHECK(shops(sales.queryByTag({"size", "small"})) == std::vector<std::string>{"south"});
  CHECK(shops(sales.queryByTags({{"shop", "north"}, {"size", "big"}})) ==
        std::vector<std::string>{"north"});
  CHECK(sales.queryByTags({{"shop", "north"}, {"size", "small"}}).empty());
  CHECK(manager.checkpoint("sales") == 4);
  CHECK(manager.hasCheckpoint("sales"));

  // The same events again change nothing: each projection starts after its checkpoint.
  manager.update(readAll(*store, Query::all()));
  CHECK(sales.get("north") == Counter{3, "north"});
}

TEST_CASE("the checkpoint advances over irrelevant events", "[projections]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection());
  appendEvents(*store, {sale("north"), noise(), noise()});
  manager.update(readAll(*store, Query::all()));
  CHECK(manager.checkpoint("sales") == 3);
  appendEvents(*store, {noise(), noise()});
  manager.update(readFrom(*store, Query::all(), 3));
  CHECK(manager.checkpoint("sales") == 5);
  CHECK(manager.getStore<Counter>("sales").get("north") == Counter{1, "north"});

  // A new manager reads the checkpoint back.
  ProjectionManager again({.eventStore = store});
  again.registerProjection(counterProjection());
  CHECK(again.checkpoint("sales") == 5);
}

TEST_CASE("apply returning nullopt deletes the instance and its tag entries", "[projections]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection());
  appendEvents(*store, {sale("north"), sale("south")});
  manager.update(readAll(*store, Query::all()));
  auto sales = manager.getStore<Counter>("sales");
  REQUIRE(sales.queryByTag({"shop", "north"}).size() == 1);

  appendOne(*store, closing("north"));
  manager.update(readFrom(*store, Query::all(), 2));
  CHECK_FALSE(sales.get("north").has_value());
  CHECK(sales.queryByTag({"shop", "north"}).empty());
  CHECK(shops(sales.queryByTag({"size", "small"})) == std::vector<std::string>{"south"});
  // Neither the state file nor a tag marker of "north" is left on disk.
  CHECK(filesContaining(manager.basePath() / "sales", "north").empty());
  CHECK_FALSE(filesContaining(manager.basePath() / "sales", "south").empty());
}

TEST_CASE("a key moves between tag buckets and tag queries work after a restart", "[projections]") {
  TempDir dir;
  {
    auto store = opossum::test::openStore(dir.path(), "p");
    ProjectionManager manager({.eventStore = store});
    manager.registerProjection(counterProjection());
    appendEvents(*store, {sale("north"), sale("north"), sale("south")});
    manager.update(readAll(*store, Query::all()));
    CHECK(shops(manager.getStore<Counter>("sales").queryByTag({"size", "small"})) ==
          std::vector<std::string>{"north", "south"});
    appendOne(*store, sale("north"));  // north becomes big
    manager.update(readFrom(*store, Query::all(), 3));
  }
  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection());
  auto sales = manager.getStore<Counter>("sales");
  CHECK(shops(sales.queryByTag({"size", "small"})) == std::vector<std::string>{"south"});
  CHECK(shops(sales.queryByTag({"size", "big"})) == std::vector<std::string>{"north"});
  CHECK(shops(sales.queryByTag({"shop", "north"})) == std::vector<std::string>{"north"});
  CHECK(sales.queryByTag({"shop", "NORTH"}).empty());  // tags are case-sensitive
  CHECK(manager.checkpoint("sales") == 4);
}

TEST_CASE("save, remove and keys that differ only in case or are long", "[projections]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection());
  auto sales = manager.getStore<Counter>("sales");
  const std::string longKey(600, 'K');
  sales.save("Shop", Counter{1, "Shop"});
  sales.save("shop", Counter{2, "shop"});
  sales.save(longKey, Counter{3, longKey});
  sales.save(longKey + "x", Counter{4, longKey + "x"});
  CHECK(sales.get("Shop") == Counter{1, "Shop"});
  CHECK(sales.get("shop") == Counter{2, "shop"});
  CHECK(sales.get(longKey) == Counter{3, longKey});
  CHECK(sales.get(longKey + "x") == Counter{4, longKey + "x"});
  CHECK(sales.getAll().size() == 4);
  CHECK(sales.queryByTag({"size", "big"}).size() == 2);
  CHECK(sales.remove("Shop"));
  CHECK_FALSE(sales.remove("Shop"));
  CHECK_FALSE(sales.get("Shop").has_value());
  CHECK(sales.get("shop").has_value());
  CHECK_THROWS_AS(sales.save("", Counter{}), InvalidArgumentError);
}

TEST_CASE("a name registered twice is refused, naming it", "[projections]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection("orders"));
  CHECK_THROWS_WITH(manager.registerProjection(counterProjection("orders")),
                    Catch::Contains("'orders'") && Catch::Contains("already registered"));
  CHECK(manager.projectionNames() == std::vector<std::string>{"orders"});
  CHECK_THROWS_AS(manager.getStore<int>("orders"), InvalidArgumentError);
  CHECK_THROWS_WITH(manager.checkpoint("nope"), Catch::Contains("'nope'"));
  auto noCodec = counterProjection("x");
  noCodec.codec.fromJson = nullptr;
  CHECK_THROWS_WITH(manager.registerProjection(noCodec), Catch::Contains("fromJson"));
  CHECK_THROWS_AS(manager.registerProjection(counterProjection("")), InvalidArgumentError);
  CHECK_THROWS_AS(ProjectionManager({}), InvalidArgumentError);
}

TEST_CASE("one failing projection does not stop the others", "[projections]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store});
  auto failing = counterProjection("failing");
  failing.apply = [](std::optional<Counter>, const SequencedEvent& e) -> std::optional<Counter> {
    if (e.position == 2) throw std::runtime_error("boom at two");
    return Counter{1, "x"};
  };
  manager.registerProjection(failing);
  manager.registerProjection(counterProjection("good"));
  appendEvents(*store, {sale("a"), sale("b"), sale("c")});
  try {
    manager.update(readAll(*store, Query::all()));
    FAIL("update did not report the failure");
  } catch (const ProjectionError& e) {
    REQUIRE(e.failures().size() == 1);
    CHECK(e.failures()[0].projection == "failing");
    CHECK_THAT(e.what(), Catch::Contains("boom at two") && Catch::Contains("position 2"));
  }
  CHECK(manager.checkpoint("good") == 3);
  CHECK(manager.getStore<Counter>("good").getAll().size() == 3);
  // The failed projection keeps its checkpoint and none of the batch.
  CHECK_FALSE(manager.hasCheckpoint("failing"));
  CHECK(manager.getStore<Counter>("failing").getAll().empty());
}

TEST_CASE("writeProtectProjectionFiles makes state and checkpoint files read-only",
          "[projections]") {
  TempDir dir;
  EventStoreOptions options;
  options.storeName = "p";
  options.rootPath = dir.path();
  options.writeProtectProjectionFiles = true;
  auto store = createEventStore(options);
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection());
  appendEvents(*store, {sale("north"), sale("north")});
  manager.update(readAll(*store, Query::all()));
  appendOne(*store, sale("north"));
  manager.update(readFrom(*store, Query::all(), 2));  // rewrites a protected file
  auto states = filesContaining(manager.basePath() / "sales", ".json");
  REQUIRE(states.size() == 1);
  auto checkpoints = filesContaining(manager.basePath() / "_checkpoints", ".json");
  REQUIRE(checkpoints.size() == 1);
  for (const auto& file : {states[0], checkpoints[0]}) {
    auto perms = fs::status(file).permissions();
    CHECK((perms & (fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write)) ==
          fs::perms::none);
  }
  CHECK(manager.getStore<Counter>("sales").get("north") == Counter{3, "north"});

  // Without the option, files stay writable.
  TempDir other;
  auto plain = opossum::test::openStore(other.path(), "p");
  ProjectionManager plainManager({.eventStore = plain});
  plainManager.registerProjection(counterProjection());
  appendOne(*plain, sale("north"));
  plainManager.update(readAll(*plain, Query::all()));
  auto plainStates = filesContaining(plainManager.basePath() / "sales", ".json");
  REQUIRE(plainStates.size() == 1);
  CHECK((fs::status(plainStates[0]).permissions() & fs::perms::owner_write) != fs::perms::none);
}

TEST_CASE("saves are atomic: a failed write leaves the old state and no temporary files",
          "[projections]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  auto failing = std::make_shared<FailingFileSystem>(sdk::posixFileSystem());
  ProjectionManager manager({.eventStore = store, .fileSystem = failing});
  manager.registerProjection(counterProjection());
  auto sales = manager.getStore<Counter>("sales");
  sales.save("north", Counter{5, "north"});

  failing->failRenameTo = "state";  // the new state file never replaces the old one
  CHECK_THROWS_AS(sales.save("north", Counter{6, "north"}), IoError);
  // The batch is journaled: it is finished before the next use, never half-applied.
  CHECK(sales.get("north") == Counter{6, "north"});
  CHECK(sales.queryByTag({"size", "big"}).size() == 1);
  CHECK(filesContaining(manager.basePath(), "tmp").empty());
  CHECK(filesContaining(manager.basePath(), "journal").empty());
}

TEST_CASE("a batch interrupted before its checkpoint is finished, never applied twice",
          "[projections]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  appendEvents(*store, {sale("north"), sale("north"), sale("south")});
  {
    auto failing = std::make_shared<FailingFileSystem>(sdk::posixFileSystem());
    ProjectionManager manager({.eventStore = store, .fileSystem = failing});
    manager.registerProjection(counterProjection());
    // States and tags are written; the checkpoint write fails as if the process died there.
    failing->failReplaceOf = "_checkpoints";
    CHECK_THROWS_AS(manager.update(readAll(*store, Query::all())), ProjectionError);
  }
  ProjectionManager manager({.eventStore = store});
  manager.registerProjection(counterProjection());
  CHECK(manager.checkpoint("sales") == 3);
  manager.update(readAll(*store, Query::all()));  // nothing is applied a second time
  auto sales = manager.getStore<Counter>("sales");
  CHECK(sales.get("north") == Counter{2, "north"});
  CHECK(sales.get("south") == Counter{1, "south"});
  CHECK(filesContaining(manager.basePath(), "journal").empty());
}

TEST_CASE("a state that is not JSON or a bad tag fails the projection, naming the key",
          "[projections]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store});
  auto bad = counterProjection("bad");
  bad.codec.toJson = [](const Counter&) { return std::string("{not json"); };
  manager.registerProjection(bad);
  auto badTag = counterProjection("badtag");
  badTag.tags = [](const Counter&) { return std::vector<Tag>{{"", "x"}}; };
  manager.registerProjection(badTag);
  appendOne(*store, sale("north"));
  try {
    manager.update(readAll(*store, Query::all()));
    FAIL("no error");
  } catch (const ProjectionError& e) {
    REQUIRE(e.failures().size() == 2);
    CHECK_THAT(e.failures()[0].message, Catch::Contains("'north'") && Catch::Contains("JSON"));
    CHECK_THAT(e.failures()[1].message, Catch::Contains("'north'") && Catch::Contains("tag"));
  }
}

TEST_CASE("numbers in states keep their text", "[projections]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "p");
  ProjectionManager manager({.eventStore = store});
  ProjectionDefinition<std::string> raw{
      .name = "raw",
      .eventTypes = {},
      .keySelector = [](const SequencedEvent&) { return std::string("k"); },
      .apply = [](std::optional<std::string>, const SequencedEvent&) -> std::optional<std::string> {
        return std::string(R"({ "big": 123456789012345678901234567890, "price": 1.50 })");
      },
      .tags = nullptr,
      .codec = {.toJson = [](const std::string& s) { return s; },
                .fromJson = [](std::string_view s) { return std::string(s); }}};
  manager.registerProjection(raw);
  appendOne(*store, noise());
  manager.update(readAll(*store, Query::all()));
  ProjectionManager again({.eventStore = store});
  again.registerProjection(raw);
  CHECK(again.getStore<std::string>("raw").get("k") ==
        R"({"big":123456789012345678901234567890,"price":1.50})");
}
