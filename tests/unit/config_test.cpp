// loadConfig(): the three formats, the schema checks and their messages, path resolution, and the
// reference configs in config/.
#include "opossum/config.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "opossum/errors.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using opossum::ConfigError;
using opossum::defaultConfig;
using opossum::loadConfig;
using opossum::PluginChoice;
using opossum::StoreConfig;

namespace {

fs::path write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

std::string configErrorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("expected a ConfigError");
  return "";
}

// The message of loading `text` as `name` in a fresh folder; it must be a ConfigError naming
// the file.
std::string loadError(const opossum::test::TempDir& dir, const std::string& name,
                      const std::string& text) {
  const fs::path file = write(dir / name, text);
  const std::string message = configErrorOf([&] { loadConfig(file); });
  CHECK_THAT(message, Contains(file.string()));
  return message;
}

// Everything but `file` (which names the source) must agree.
void checkSame(const StoreConfig& a, const StoreConfig& b) {
  CHECK(a.options.storeName == b.options.storeName);
  CHECK(a.options.rootPath == b.options.rootPath);
  CHECK(a.options.flushEventsImmediately == b.options.flushEventsImmediately);
  CHECK(a.options.writeProtectEventFiles == b.options.writeProtectEventFiles);
  CHECK(a.options.writeProtectProjectionFiles == b.options.writeProtectProjectionFiles);
  CHECK(a.options.crossProcessLockTimeout == b.options.crossProcessLockTimeout);
  CHECK(a.pluginPaths == b.pluginPaths);
  CHECK(a.storage == b.storage);
  CHECK(a.serializer == b.serializer);
  CHECK(a.index == b.index);
  CHECK(a.projections == b.projections);
  CHECK(a.logLevel == b.logLevel);
}

const std::string kJson = R"({
  "store": { "name": "pos", "rootPath": "data/stores", "flushEventsImmediately": false,
             "writeProtectEventFiles": true, "writeProtectProjectionFiles": true,
             "crossProcessLockTimeoutMs": 1234 },
  "plugins": {
    "path": ["plugins", "/opt/opossum/plugins"],
    "storage": { "name": "file-per-event", "journalCapacityBytes": 8192 },
    "serializer": { "file": "lib/libacme_serializer.so" },
    "index": { "name": "tag-index" },
    "projections": {
      "runner": { "name": "projection-daemon", "pollingIntervalMs": 250, "batchSize": 50,
                  "threads": "2" },
      "libraries": ["acme-loyalty", "acme-stock"]
    }
  },
  "logging": { "level": "debug" }
})";

const std::string kIni = R"(; the same config as kJson
[store]
name = pos
rootPath = data/stores
flushEventsImmediately = false
writeProtectEventFiles = true
writeProtectProjectionFiles = true
crossProcessLockTimeoutMs = 1234

[plugins]
path = plugins:/opt/opossum/plugins

[plugins.storage]
name = file-per-event
journalCapacityBytes = 8192

[plugins.serializer]
file = lib/libacme_serializer.so

[plugins.index]
name = tag-index

[plugins.projections.runner]
name = projection-daemon
pollingIntervalMs = 250
batchSize = 50
threads = 2

[plugins.projections]
libraries = acme-loyalty:acme-stock

[logging]
level = debug
)";

const std::string kXml = R"(<?xml version="1.0"?>
<!-- the same config as kJson -->
<opossum>
  <store>
    <name>pos</name>
    <rootPath>data/stores</rootPath>
    <flushEventsImmediately>false</flushEventsImmediately>
    <writeProtectEventFiles>true</writeProtectEventFiles>
    <writeProtectProjectionFiles>true</writeProtectProjectionFiles>
    <crossProcessLockTimeoutMs>1234</crossProcessLockTimeoutMs>
  </store>
  <plugins>
    <path>plugins</path>
    <path>/opt/opossum/plugins</path>
    <storage><name>file-per-event</name><journalCapacityBytes>8192</journalCapacityBytes></storage>
    <serializer><file>lib/libacme_serializer.so</file></serializer>
    <index><name>tag-index</name></index>
    <projections>
      <runner>
        <name>projection-daemon</name>
        <pollingIntervalMs>250</pollingIntervalMs>
        <batchSize>50</batchSize>
        <threads>2</threads>
      </runner>
      <libraries>acme-loyalty</libraries>
      <libraries>acme-stock</libraries>
    </projections>
  </plugins>
  <logging><level>debug</level></logging>
</opossum>
)";

}  // namespace

TEST_CASE("JSON, INI and XML versions of one config give the same StoreConfig", "[config]") {
  opossum::test::TempDir dir;
  const StoreConfig json = loadConfig(write(dir / "opossum.json", kJson));
  const StoreConfig ini = loadConfig(write(dir / "opossum.ini", kIni));
  const StoreConfig xml = loadConfig(write(dir / "opossum.xml", kXml));

  CHECK(json.file == dir / "opossum.json");
  CHECK(json.options.storeName == "pos");
  CHECK(json.options.rootPath == "data/stores");  // relative to the working directory: kept
  CHECK_FALSE(json.options.flushEventsImmediately);
  CHECK(json.options.writeProtectEventFiles);
  CHECK(json.options.writeProtectProjectionFiles);
  CHECK(json.options.crossProcessLockTimeout == std::chrono::milliseconds(1234));
  CHECK(json.pluginPaths ==
        std::vector<fs::path>{dir.path() / "plugins", fs::path("/opt/opossum/plugins")});
  CHECK(json.storage ==
        PluginChoice{"file-per-event", std::nullopt, {{"journalCapacityBytes", "8192"}}});
  CHECK(json.serializer == PluginChoice{"", dir.path() / "lib/libacme_serializer.so", {}});
  CHECK(json.index == PluginChoice{"tag-index", std::nullopt, {}});
  CHECK(json.projections.configured);
  CHECK(json.projections.runner ==
        PluginChoice{"projection-daemon", std::nullopt, {{"threads", "2"}}});
  CHECK(json.projections.pollingInterval == std::chrono::milliseconds(250));
  CHECK(json.projections.batchSize == 50);
  CHECK(json.projections.libraries == std::vector<std::string>{"acme-loyalty", "acme-stock"});
  CHECK(json.logLevel == "debug");

  SECTION("INI") { checkSame(json, ini); }
  SECTION("XML") { checkSame(json, xml); }
}

TEST_CASE("a minimal config gives the defaults of createEventStore", "[config]") {
  opossum::test::TempDir dir;
  opossum::EventStoreOptions options;
  options.storeName = "shop";
  const StoreConfig expected = defaultConfig(options);
  CHECK(expected.file.empty());
  CHECK(expected.storage.name == "file-per-event");
  CHECK(expected.serializer.name == "json");
  CHECK(expected.index.name == "tag-index");
  CHECK_FALSE(expected.projections.configured);

  SECTION("JSON") {
    checkSame(loadConfig(write(dir / "c.json", R"({"store": {"name": "shop"}})")), expected);
  }
  SECTION("INI") { checkSame(loadConfig(write(dir / "c.ini", "[store]\nname=shop\n")), expected); }
  SECTION("XML") {
    checkSame(
        loadConfig(write(dir / "c.xml", "<opossum><store><name>shop</name></store></opossum>")),
        expected);
  }
  SECTION("upper-case extension") {
    checkSame(loadConfig(write(dir / "c.JSON", R"({"store": {"name": "shop"}})")), expected);
  }
}

TEST_CASE("unknown keys are ConfigErrors naming the file and the full key", "[config]") {
  opossum::test::TempDir dir;
  SECTION("top level") {
    const auto message =
        loadError(dir, "a.json", R"({"store": {"name": "x"}, "stores": {"name": "y"}})");
    CHECK_THAT(message, Contains("stores: unknown key"));
    CHECK_THAT(message, Contains("store, plugins, logging"));
  }
  SECTION("nested") {
    CHECK_THAT(loadError(dir, "b.json", R"({"store": {"name": "x", "rootPth": "d"}})"),
               Contains("store.rootPth: unknown key"));
    CHECK_THAT(loadError(dir, "c.json", R"({"store": {"name": "x"}, "plugins": {"paths": []}})"),
               Contains("plugins.paths: unknown key"));
    CHECK_THAT(loadError(dir, "d.json", R"({"store": {"name": "x"}, "logging": {"lvl": "info"}})"),
               Contains("logging.lvl: unknown key"));
    CHECK_THAT(
        loadError(dir, "e.json",
                  R"({"store": {"name": "x"}, "plugins": {"projections": {"librarys": []}}})"),
        Contains("plugins.projections.librarys: unknown key"));
  }
  SECTION("plugin section without a name") {
    const auto message = loadError(
        dir, "f.json", R"({"store": {"name": "x"}, "plugins": {"serializer": {"nmae": "json"}}})");
    CHECK_THAT(message, Contains("plugins.serializer.name: required key is missing"));
    CHECK_THAT(message, Contains("plugins.serializer.nmae"));
  }
  SECTION("INI") {
    CHECK_THAT(loadError(dir, "g.ini", "[store]\nname = x\nnmae = y\n"),
               Contains("store.nmae: unknown key"));
    CHECK_THAT(loadError(dir, "h.ini", "[store]\nname = x\n[plugins.serializr]\nname = json\n"),
               Contains("plugins.serializr: unknown key"));
    CHECK_THAT(loadError(dir, "i.ini", "stray = 1\n[store]\nname = x\n"),
               Contains("stray: unknown key"));
  }
  SECTION("XML") {
    CHECK_THAT(loadError(dir, "j.xml", "<opossum><store><name>x</name></store><plugin/></opossum>"),
               Contains("plugin: unknown key"));
    CHECK_THAT(loadError(dir, "k.xml", "<config><store><name>x</name></store></config>"),
               Contains("expected the root element <opossum>"));
    CHECK_THAT(loadError(dir, "l.xml", R"(<opossum><store name="x"/></opossum>)"),
               Contains("store: XML attributes are not supported"));
  }
  SECTION("duplicate keys") {
    CHECK_THAT(loadError(dir, "m.json", R"({"store": {"name": "x", "name": "y"}})"),
               Contains("store.name: duplicate key"));
    CHECK_THAT(
        loadError(dir, "n.xml", "<opossum><store><name>x</name><name>y</name></store></opossum>"),
        Contains("store.name: duplicate key"));
  }
}

TEST_CASE("wrong types are ConfigErrors naming the file, the key and the expected type",
          "[config]") {
  opossum::test::TempDir dir;
  auto store = [](const std::string& members) {
    return R"({"store": {"name": "x", )" + members + "}}";
  };
  SECTION("boolean") {
    const auto message =
        loadError(dir, "a.json", store(R"("flushEventsImmediately": "yes please")"));
    CHECK_THAT(message, Contains("store.flushEventsImmediately"));
    CHECK_THAT(message, Contains("expected a boolean"));
    CHECK_THAT(message, Contains("'yes please'"));
    CHECK_THAT(loadError(dir, "b.ini", "[store]\nname = x\nwriteProtectEventFiles = maybe\n"),
               Contains("store.writeProtectEventFiles: expected a boolean"));
  }
  SECTION("unsigned") {
    for (const std::string value : {R"("-5")", R"("5s")", "1.5", "99999999999", R"("")"}) {
      INFO(value);
      const auto message =
          loadError(dir, "c.json", store(R"("crossProcessLockTimeoutMs": )" + value));
      CHECK_THAT(message,
                 Contains("store.crossProcessLockTimeoutMs: expected an unsigned integer"));
    }
    CHECK_THAT(
        loadError(dir, "d.xml",
                  "<opossum><store><name>x</name></store><plugins><projections><runner>"
                  "<name>r</name><batchSize>0</batchSize></runner></projections></plugins>"
                  "</opossum>"),
        Contains("plugins.projections.runner.batchSize: expected an unsigned integer from 1"));
  }
  SECTION("section given as a value, value given as a section") {
    CHECK_THAT(loadError(dir, "e.json", R"({"store": "pos"})"),
               Contains("store: expected a JSON object, got 'pos'"));
    CHECK_THAT(loadError(dir, "f.json", R"({"store": {"name": {"first": "pos"}}})"),
               Contains("store.name: expected a string"));
    CHECK_THAT(loadError(dir, "g.json", R"({"store": {"name": ["pos"]}})"),
               Contains("store.name: expected a string, got an array"));
    CHECK_THAT(
        loadError(
            dir, "h.json",
            R"({"store": {"name": "x"}, "plugins": {"storage": {"name": "f", "opt": {"a": 1}}}})"),
        Contains("plugins.storage.opt: expected a plugin option value"));
  }
  SECTION("lists") {
    CHECK_THAT(
        loadError(dir, "i.json", R"({"store": {"name": "x"}, "plugins": {"path": "plugins"}})"),
        Contains("plugins.path: expected an array of strings"));
    CHECK_THAT(loadError(dir, "j.json", R"({"store": {"name": "x"}, "plugins": {"path": [""]}})"),
               Contains("plugins.path[0]: must not be empty"));
    CHECK_THAT(loadError(dir, "k.json",
                         R"({"store": {"name": "x"}, "plugins": {"path": ["a", {"b": 1}]}})"),
               Contains("plugins.path[1]: expected a string"));
  }
  SECTION("log level") {
    CHECK_THAT(
        loadError(dir, "l.json", R"({"store": {"name": "x"}, "logging": {"level": "loud"}})"),
        Contains("logging.level: expected one of trace, debug, info, warn, error, off"));
  }
}

TEST_CASE("store.name is required and not empty", "[config]") {
  opossum::test::TempDir dir;
  CHECK_THAT(loadError(dir, "a.json", R"({"store": {"rootPath": "x"}})"),
             Contains("store.name: required key is missing"));
  CHECK_THAT(loadError(dir, "b.json", R"({"logging": {"level": "info"}})"),
             Contains("store.name: required key is missing"));
  CHECK_THAT(loadError(dir, "c.json", R"({"store": {"name": ""}})"),
             Contains("store.name: must not be empty"));
  CHECK_THAT(loadError(dir, "d.ini", "[store]\nname =\n"), Contains("store.name"));
  CHECK_THAT(loadError(dir, "e.xml", "<opossum><store><name/></store></opossum>"),
             Contains("store.name"));
}

TEST_CASE("relative plugin paths resolve against the config file's folder", "[config]") {
  opossum::test::TempDir dir;
  const std::string text = R"({"store": {"name": "x", "rootPath": "stores"},
    "plugins": {"path": ["plugins", "../shared/./plugins", "/abs/plugins"],
                "index": {"name": "tag-index", "file": "lib/libindex.so"}}})";
  write(dir / "etc" / "opossum.json", text);

  auto check = [&](const StoreConfig& config) {
    CHECK(config.pluginPaths == std::vector<fs::path>{dir.path() / "etc" / "plugins",
                                                      dir.path() / "shared" / "plugins",
                                                      fs::path("/abs/plugins")});
    CHECK(config.index.file == dir.path() / "etc" / "lib" / "libindex.so");
    CHECK(config.options.rootPath == "stores");  // not resolved: relative to the working directory
  };
  SECTION("absolute config path") { check(loadConfig(dir / "etc" / "opossum.json")); }
  SECTION("relative config path") {
    const fs::path previous = fs::current_path();
    fs::current_path(dir.path());
    StoreConfig config;
    try {
      config = loadConfig("etc/opossum.json");
    } catch (...) {
      fs::current_path(previous);
      throw;
    }
    fs::current_path(previous);
    CHECK(config.file == "etc/opossum.json");
    check(config);
  }
  SECTION("INI lists skip empty items") {
    const StoreConfig config =
        loadConfig(write(dir / "etc" / "o.ini", "[store]\nname = x\n[plugins]\npath = a::/b:\n"));
    CHECK(config.pluginPaths == std::vector<fs::path>{dir.path() / "etc" / "a", fs::path("/b")});
  }
}

TEST_CASE("unreadable config files are ConfigErrors naming the file", "[config]") {
  opossum::test::TempDir dir;
  SECTION("missing") {
    const fs::path file = dir / "nope.json";
    const std::string message = configErrorOf([&] { loadConfig(file); });
    CHECK_THAT(message, Contains(file.string()));
    CHECK_THAT(message, Contains("no such file"));
  }
  SECTION("a directory") {
    fs::create_directory(dir / "conf.json");
    const std::string message = configErrorOf([&] { loadConfig(dir / "conf.json"); });
    CHECK_THAT(message, Contains((dir / "conf.json").string()));
    CHECK_THAT(message, Contains("directory"));
  }
  SECTION("bad extension") {
    const fs::path file = write(dir / "opossum.yaml", "store:\n  name: x\n");
    const std::string message = configErrorOf([&] { loadConfig(file); });
    CHECK_THAT(message, Contains(file.string()));
    CHECK_THAT(message, Contains("'.yaml'"));
    CHECK_THAT(message, Contains("expected .json, .ini or .xml"));
    CHECK_THAT(configErrorOf([&] { loadConfig(write(dir / "opossum", "")); }),
               Contains("expected .json, .ini or .xml"));
  }
  SECTION("syntax errors name the line") {
    CHECK_THAT(loadError(dir, "a.json", "{\n  \"store\": {\n    \"name\": \"x\",\n  }\n}\n"),
               Contains("line 4: invalid JSON"));
    CHECK_THAT(loadError(dir, "b.ini", "[store]\nname = x\n[plugins\n"),
               Contains("line 3: invalid INI"));
    CHECK_THAT(loadError(dir, "c.xml", "<opossum>\n<store>\n</opossum>\n"),
               Contains("invalid XML"));
  }
}

TEST_CASE("the reference configs in config/ load and are equivalent", "[config]") {
  const fs::path folder = fs::path(OPOSSUM_SOURCE_DIR) / "config";
  const StoreConfig json = loadConfig(folder / "opossum.json");
  const StoreConfig ini = loadConfig(folder / "opossum.ini");
  const StoreConfig xml = loadConfig(folder / "opossum.xml");

  // Every value is the documented default.
  opossum::EventStoreOptions options;
  options.storeName = "pos";
  StoreConfig expected = defaultConfig(options);
  expected.pluginPaths = {folder / "plugins"};
  expected.projections.configured = true;
  checkSame(json, expected);
  checkSame(ini, expected);
  checkSame(xml, expected);
}

TEST_CASE("the PostgreSQL reference config loads with every option of the postgres plugin",
          "[config]") {
  const fs::path folder = fs::path(OPOSSUM_SOURCE_DIR) / "config";
  const StoreConfig config = loadConfig(folder / "opossum.postgres.json");
  CHECK(config.storage.name == "postgres");
  CHECK(config.storage.options ==
        opossum::sdk::PluginOptions{
            {"conninfo", "postgresql://opossum@localhost:5432/opossum?sslmode=prefer"},
            {"schema", "opossum"},
            {"poolSize", "4"},
            {"lockTimeoutMs", "5000"},
            {"statementTimeoutMs", "0"},
            {"connectTimeoutSeconds", "10"}});
  CHECK(config.options.storeName == "pos");
}
