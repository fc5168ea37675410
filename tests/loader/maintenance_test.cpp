// Store maintenance through the plugins (opossum/maintenance.hpp): the file storage's
// sdk::StorageMaintenance, the tag index's sdk::IndexCheck, and plugins of ABI minor 1, which
// have neither.
#include <catch2/catch.hpp>
#include <filesystem>

#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using Catch::Matchers::Contains;
using opossum::test::makeEvent;
using opossum::test::TempDir;
namespace fs = std::filesystem;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);
const fs::path kFixtures = OPOSSUM_LOADER_FIXTURE_DIR;
const fs::path kStorageMinorOne =
    kFixtures / "storage_minor_one" / "libfixture_storage_minor_one.so";
const fs::path kIndexMinorOne = kFixtures / "index_minor_one" / "libfixture_index_minor_one.so";

void appendThree(Store& store) {
  store.append({makeEvent("CartOpened", "{}", {{"cart", "c1"}}),
                makeEvent("ItemAdded", "{}", {{"cart", "c1"}}),
                makeEvent("CartOpened", "{}", {{"cart", "c2"}})});
}

}  // namespace

TEST_CASE("maintenance never creates a store and reports one that is not there", "[maintenance]") {
  TempDir dir;
  auto maintenance = openStoreMaintenance(opossum::test::defaultStoreConfig(dir.path(), "shop"));
  CHECK_FALSE(maintenance->exists());
  CHECK_THROWS_WITH(maintenance->check({}), Contains("no store at"));
  CHECK_THROWS_WITH(maintenance->reindex(100, {}), Contains("no store at"));
  CHECK_FALSE(fs::exists(dir / "shop"));
}

TEST_CASE("the file storage's maintenance checks, reindexes and describes a store",
          "[maintenance]") {
  TempDir dir;
  const auto config = opossum::test::defaultStoreConfig(dir.path(), "shop");
  appendThree(*createEventStore(config));
  auto maintenance = openStoreMaintenance(config);
  CHECK(maintenance->exists());

  std::vector<std::pair<Position, Position>> progress;
  auto report = maintenance->check(
      [&](Position done, Position total) { progress.emplace_back(done, total); });
  CHECK(report.head == 3);
  CHECK(report.eventsRead == 3);
  CHECK(report.problems.empty());
  CHECK(progress.back() == std::make_pair(Position{3}, Position{3}));

  CHECK(maintenance->property("head") == "3");
  CHECK(maintenance->property("serializerFormat").value_or("").find(" version ") !=
        std::string::npos);
  CHECK(std::stoull(maintenance->property("bytes").value_or("0")) > 0);
  CHECK_FALSE(maintenance->property("no such property"));
  auto names = maintenance->propertyNames();
  REQUIRE(names.size() >= 3);
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 3) ==
        std::vector<std::string>{"head", "serializerFormat", "bytes"});

  // The tag index checks its own files: the problem names the file.
  fs::remove(dir / "shop" / "indices" / "tags" / "cart=c2.idx");
  report = maintenance->check({});
  REQUIRE_FALSE(report.problems.empty());
  bool named = false;
  for (const auto& problem : report.problems) {
    named = named || problem.item == "indices/tags/cart=c2.idx";
  }
  CHECK(named);

  auto rebuilt = maintenance->reindex(1, {});
  CHECK(rebuilt.events == 3);
  CHECK(rebuilt.eventTypes == 2);
  CHECK(rebuilt.tags == 2);
  CHECK(maintenance->check({}).problems.empty());
}

TEST_CASE("maintenance is refused for a storage plugin of ABI minor 1 before it is created",
          "[maintenance]") {
  REQUIRE(fs::is_regular_file(kStorageMinorOne));
  TempDir dir;
  auto config = opossum::test::defaultStoreConfig(dir.path(), "shop");
  config.storage = PluginChoice{"", kStorageMinorOne, {}};
  try {
    openStoreMaintenance(config);
    FAIL("a minor-1 storage plugin was accepted for maintenance");
  } catch (const PluginError& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Contains("declares SDK ABI 1.1"));
    CHECK_THAT(message, Contains("needs a plugin built for ABI 1.2"));
    CHECK_THAT(message, !Contains("was created"));
  }
  CHECK_FALSE(fs::exists(dir / "shop"));
}

TEST_CASE("an index plugin of ABI minor 1 works, and is checked through its answers",
          "[maintenance]") {
  REQUIRE(fs::is_regular_file(kIndexMinorOne));
  TempDir dir;
  auto config = opossum::test::defaultStoreConfig(dir.path(), "shop");
  config.index = PluginChoice{"", kIndexMinorOne, {}};
  {
    auto store = createEventStore(config);
    appendThree(*store);
    CHECK(store->read(Query::fromTags({{"cart", "c1"}})).size() == 2);
  }
  auto maintenance = openStoreMaintenance(config);
  CHECK(maintenance->check({}).problems.empty());
  // Without an IndexCheck the storage asks the index: its refusal to answer is the problem.
  fs::remove(dir / "shop" / "indices" / "tags" / "cart=c2.idx");
  auto report = maintenance->check({});
  bool answered = false;
  for (const auto& problem : report.problems) {
    answered = answered || (problem.item == "indices" &&
                            problem.message.find("tag 'cart=c2'") != std::string::npos);
  }
  CHECK(answered);
}
