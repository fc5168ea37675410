// What the public API tells about a store and its plugins, which the tools rely on instead of the
// kernel's internals: head(), describe(), findPlugins(), loadSerializer(), normalizeEvent() and
// the storage's "location" property.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "opossum/opossum.hpp"
#include "opossum/sdk/plugin.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::makeEvent;
using opossum::test::TempDir;

namespace fs = std::filesystem;

namespace {

StoreConfig configWith(const fs::path& root, const std::string& serializer) {
  StoreConfig config = defaultConfig(EventStoreOptions{.storeName = "s", .rootPath = root});
  config.pluginPaths = {opossum::test::pluginDir()};
  config.serializer = PluginChoice{serializer, std::nullopt, {}};
  return config;
}

// The name of the first plugin of `kind`, "" when there is none.
std::string nameOfKind(const std::vector<PluginDescription>& plugins, const std::string& kind) {
  for (const auto& plugin : plugins) {
    if (plugin.kind == kind) return plugin.name;
  }
  return "";
}

// A store of the application's own, which implements only what EventStore requires.
class OwnStore : public EventStore {
 public:
  Position append(const std::vector<NewEvent>&, const std::optional<AppendCondition>&,
                  std::stop_token) override {
    return ++last_;
  }
  std::vector<SequencedEvent> read(const Query&, const ReadOptions&) override { return {}; }
  std::optional<SequencedEvent> readLast(const Query&, std::stop_token) override {
    if (last_ == 0) return std::nullopt;
    SequencedEvent event;
    event.position = last_;
    return event;
  }

 private:
  Position last_ = 0;
};

}  // namespace

TEST_CASE("head() is the last committed position, also after another store object appended",
          "[describe]") {
  TempDir dir;
  auto store = createEventStore(configWith(dir.path(), "json"));
  CHECK(store->head() == 0);
  store->append({makeEvent("A"), makeEvent("B")});
  store->append({makeEvent("C")});
  CHECK(store->head() == 3);
  auto other = createEventStore(configWith(dir.path(), "json"));
  other->append({makeEvent("D")});
  CHECK(store->head() == 4);
}

TEST_CASE("head() of an EventStore that does not define it comes from readLast", "[describe]") {
  OwnStore store;
  CHECK(store.head() == 0);
  store.append({makeEvent("A")}, std::nullopt, {});
  store.append({makeEvent("B")}, std::nullopt, {});
  CHECK(store.head() == 2);
}

TEST_CASE("describe() names the plugins a store loaded, with their formats, and its head",
          "[describe]") {
  TempDir dir;
  const std::string serializer = GENERATE(std::string("json"), std::string("cbor"));
  auto store = createEventStore(configWith(dir.path(), serializer));
  store->append({makeEvent("A"), makeEvent("B")});
  const StoreDescription description = store->describe();
  CHECK(description.storeName == "s");
  CHECK(description.head == 2);
  REQUIRE(description.plugins.size() == 3);
  CHECK(description.plugins[0].kind == "storage");
  CHECK(description.plugins[0].name == "file-per-event");
  CHECK(description.plugins[0].format.empty());
  CHECK(description.plugins[1].kind == "serializer");
  CHECK(description.plugins[1].name == serializer);
  CHECK(description.plugins[1].format == "opossum-" + serializer);
  CHECK(description.plugins[1].formatVersion >= 1);
  CHECK(description.plugins[2].kind == "index");
  CHECK(description.plugins[2].name == "tag-index");
  CHECK(description.plugins[2].format == "opossum-tag-index");
  for (const auto& plugin : description.plugins) {
    CAPTURE(plugin.kind);
    CHECK_FALSE(plugin.version.empty());
    CHECK(plugin.abiMajor == OPOSSUM_SDK_ABI_MAJOR);
    CHECK(fs::is_regular_file(plugin.file));
  }
}

TEST_CASE("findPlugins lists the plugins of the search path; foreign libraries are incompatible",
          "[describe]") {
  TempDir dir;
  StoreConfig config = configWith(dir.path(), "json");
  const PluginSearch search = findPlugins(config);
  REQUIRE_FALSE(search.folders.empty());
  CHECK(fs::equivalent(search.folders.front(), opossum::test::pluginDir()));
  CHECK(nameOfKind(search.plugins, "storage") == "file-per-event");
  CHECK(nameOfKind(search.plugins, "index") == "tag-index");
  std::vector<std::string> serializers;
  for (const auto& plugin : search.plugins) {
    if (plugin.kind == "serializer") serializers.push_back(plugin.name);
    CHECK(plugin.format.empty());  // only a store that loaded it knows
  }
  CHECK_THAT(serializers, Catch::UnorderedEquals(std::vector<std::string>{"json", "cbor"}));

  SECTION("a folder without plugins adds nothing") {
    config.pluginPaths = {dir.path()};
    std::ofstream(dir.path() / "libnot-a-plugin.so") << "text";
    const PluginSearch empty = findPlugins(config);
    CHECK(fs::equivalent(empty.folders.front(), dir.path()));
    for (const auto& plugin : empty.plugins) CHECK(plugin.file.parent_path() != dir.path());
  }
}

TEST_CASE("loadSerializer gives the chosen serializer, and a PluginError for an unknown one",
          "[describe]") {
  TempDir dir;
  const StoreConfig config = configWith(dir.path(), "json");
  auto cbor = loadSerializer(config, PluginChoice{"cbor", std::nullopt, {}});
  CHECK(cbor->formatName() == "opossum-cbor");
  CHECK_THROWS_AS(loadSerializer(config, PluginChoice{"yaml", std::nullopt, {}}), PluginError);
}

TEST_CASE("normalizeEvent checks an event as append does and collapses duplicate tags",
          "[describe]") {
  NewEvent event = makeEvent("Opened", R"({"n":1})", {{"cart", "C1"}, {"cart", "C1"}, {"a", "b"}});
  const NewEvent normal = normalizeEvent(event);
  CHECK(normal.event.tags == std::vector<Tag>{{"cart", "C1"}, {"a", "b"}});
  CHECK(normal.event.eventType == "Opened");
  CHECK_THROWS_AS(normalizeEvent(makeEvent("")), InvalidArgumentError);
  CHECK_THROWS_AS(normalizeEvent(makeEvent("A", "{not json")), InvalidArgumentError);
}

TEST_CASE("every storage engine tells where its store is (the location property)", "[describe]") {
  TempDir dir;
  const StoreConfig config = configWith(dir.path(), "json");
  createEventStore(config)->append({makeEvent("A")});
  auto maintenance = openStoreMaintenance(config);
  auto names = maintenance->propertyNames();
  for (const char* common : {"head", "serializerFormat", "bytes", "location"}) {
    CHECK(std::find(names.begin(), names.end(), common) != names.end());
  }
  const auto location = maintenance->property("location");
  REQUIRE(location);
  CHECK(fs::path(*location).is_absolute());
  CHECK(fs::equivalent(*location, dir.path() / "s"));
  CHECK(maintenance->property("head") == "1");
}
