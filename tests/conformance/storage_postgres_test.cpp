// The "postgres" storage, loaded as a plugin library from the build tree, keeps every promise of
// the storage interface on the tests' own PostgreSQL server; plus what is its own: config, errors
// that name the server, tables a DBA can read, and the maintenance capability.
#include <libpq-fe.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "opossum/config.hpp"
#include "opossum/errors.hpp"
#include "opossum/event_store.hpp"
#include "opossum/sdk/conformance/projection_state_suite.hpp"
#include "opossum/sdk/conformance/storage_suite.hpp"
#include "opossum/sdk/maintenance.hpp"
#include "opossum/sdk/storage.hpp"
#include "plugin_host.hpp"
#include "postgres_server.hpp"
#include "temp_dir.hpp"

namespace {

using opossum::PluginChoice;
using opossum::detail::PluginHost;
namespace sdk = opossum::sdk;

std::shared_ptr<sdk::Storage> makePostgresStorage(
    PluginHost& host, const std::filesystem::path& dir, sdk::PluginOptions options = {},
    sdk::StoragePurpose purpose = sdk::StoragePurpose::use) {
  if (!options.contains("conninfo")) options["conninfo"] = opossum::test::postgresConninfo();
  if (!options.contains("schema")) options["schema"] = "conformance";
  sdk::StorageContext context;
  context.storeDirectory = dir;
  context.options = std::move(options);
  context.purpose = purpose;
  return host.create<sdk::Storage>(PluginChoice{"postgres", std::nullopt, {}}, context);
}

// One query's rows as text, through libpq directly (what a DBA sees in psql).
std::vector<std::vector<std::string>> rows(const std::string& sql) {
  PGconn* connection = PQconnectdb(opossum::test::postgresConninfo().c_str());
  REQUIRE(PQstatus(connection) == CONNECTION_OK);
  PGresult* result = PQexec(connection, sql.c_str());
  INFO(PQerrorMessage(connection));
  REQUIRE(PQresultStatus(result) == PGRES_TUPLES_OK);
  std::vector<std::vector<std::string>> out;
  for (int r = 0; r < PQntuples(result); ++r) {
    std::vector<std::string> row;
    for (int c = 0; c < PQnfields(result); ++c) row.emplace_back(PQgetvalue(result, r, c));
    out.push_back(std::move(row));
  }
  PQclear(result);
  PQfinish(connection);
  return out;
}

opossum::NewEvent newEvent(std::string type, std::vector<opossum::Tag> tags, std::string json) {
  opossum::NewEvent e;
  e.event = {std::move(type), std::move(json), std::move(tags)};
  e.metadata.timestamp = opossum::Timestamp{std::chrono::milliseconds{1'796'000'523'123}};
  e.metadata.correlationId = "c-1";
  return e;
}

}  // namespace

TEST_CASE("the postgres storage conforms", "[storage][postgres]") {
  PluginHost host({opossum::test::pluginDir()});
  // The suite gives each case a fresh folder named "store"; a postgres store is known by its name
  // alone, so the folder's parent (unique) is made part of it.
  sdk::conformance::checkStorageConformance([&](const std::filesystem::path& dir) {
    auto unique = dir.parent_path().filename().string() + "_" + dir.filename().string();
    return makePostgresStorage(host, dir.parent_path() / unique);
  });
}

TEST_CASE("a DBA reads a postgres store with psql", "[storage][postgres]") {
  PluginHost host({opossum::test::pluginDir()});
  opossum::test::TempDir dir;
  const std::string name = dir.path().filename().string();  // unique on the shared server
  auto storage = makePostgresStorage(host, dir.path() / name, {{"schema", "dba"}});
  std::vector<opossum::NewEvent> events{
      newEvent("CourseDefined", {{"course", "c1"}}, R"({"capacity": 30})"),
      newEvent("StudentSubscribed", {{"course", "c1"}, {"student", "s1"}}, R"({"at":"now"})")};
  sdk::AppendRequest request{&events, nullptr};
  REQUIRE(storage->append({&request, 1}, {})[0].committed);

  auto table = rows(
      "SELECT e.position, e.event_type, e.tags, e.payload, e.occurred_at, e.correlation_id"
      " FROM dba.events e JOIN dba.stores s ON s.id = e.store_id WHERE s.name = '" +
      name + "' ORDER BY e.position");
  REQUIRE(table.size() == 2);
  CHECK(table[0] == std::vector<std::string>{"1", "CourseDefined", R"({"course":"c1"})",
                                             R"({"capacity": 30})", "2026-11-30 01:02:03.123+00",
                                             "c-1"});
  CHECK(table[1][2] == R"({"course":"c1","student":"s1"})");
  CHECK(rows("SELECT head FROM dba.stores WHERE name = '" + name + "'")[0][0] == "2");
  CHECK(rows("SELECT max(version) FROM dba.schema_version")[0][0] == "2");
}

TEST_CASE("postgres storage options are checked", "[storage][postgres]") {
  PluginHost host({opossum::test::pluginDir()});
  opossum::test::TempDir dir;
  CHECK_THROWS_AS(makePostgresStorage(host, dir.path() / "s", {{"conninfo", ""}}),
                  opossum::ConfigError);
  CHECK_THROWS_AS(makePostgresStorage(host, dir.path() / "s", {{"schema", "Bad-Name"}}),
                  opossum::ConfigError);
  CHECK_THROWS_AS(makePostgresStorage(host, dir.path() / "s", {{"poolSize", "0"}}),
                  opossum::ConfigError);
  CHECK_THROWS_AS(makePostgresStorage(host, dir.path() / "s", {{"unknownOption", "1"}}),
                  opossum::ConfigError);
}

TEST_CASE("an unreachable server is an IoError naming host and database, not the password",
          "[storage][postgres]") {
  PluginHost host({opossum::test::pluginDir()});
  opossum::test::TempDir dir;
  try {
    makePostgresStorage(host, dir.path() / "s",
                        {{"conninfo", "host=" + dir.path().string() +
                                          " port=5999 dbname=shop user=pos password=sekrit"}});
    FAIL("no error");
  } catch (const opossum::IoError& e) {
    std::string message = e.what();
    CHECK_THAT(message, Catch::Contains(dir.path().string()));
    CHECK_THAT(message, Catch::Contains("database shop"));
    CHECK_THAT(message, !Catch::Contains("sekrit"));
  }
}

TEST_CASE("postgres maintenance checks, repairs and reindexes a store", "[storage][postgres]") {
  PluginHost host({opossum::test::pluginDir()});
  opossum::test::TempDir dir;
  const std::string name = dir.path().filename().string();
  const auto storeDir = dir.path() / name;
  auto storage = makePostgresStorage(host, storeDir, {{"schema", "maintained"}});
  std::vector<opossum::NewEvent> events{newEvent("A", {{"k", "1"}}, "{}"),
                                        newEvent("B", {{"k", "2"}}, "{}"),
                                        newEvent("A", {{"k", "3"}}, "{}")};
  sdk::AppendRequest request{&events, nullptr};
  REQUIRE(storage->append({&request, 1}, {})[0].committed);

  auto tools = makePostgresStorage(host, storeDir, {{"schema", "maintained"}},
                                   sdk::StoragePurpose::maintenance);
  auto* maintenance = sdk::capabilityOf<sdk::StorageMaintenance>(*tools);
  REQUIRE(maintenance != nullptr);
  CHECK(maintenance->exists());
  CHECK(maintenance->property("head") == "3");
  CHECK(maintenance->check({}).problems.empty());

  // A tag row lost: check finds it, queries would miss the event, repair rebuilds the table.
  rows(
      "WITH d AS (DELETE FROM maintained.tags WHERE key = 'k' AND value = '2' RETURNING 1)"
      " SELECT count(*) FROM d");
  auto report = maintenance->check({});
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].position == opossum::Position{2});
  auto repaired = maintenance->repair({}, {});
  CHECK(repaired.changed);
  CHECK(maintenance->check({}).problems.empty());
  CHECK(storage->read(opossum::Query::fromTags({{"k", "2"}}), {}).size() == 1);

  // A head behind the events (an operator's UPDATE): reported, and repaired to the events.
  rows("WITH u AS (UPDATE maintained.stores SET head = 2 WHERE name = '" + name +
       "' RETURNING 1) SELECT count(*) FROM u");
  CHECK_FALSE(maintenance->check({}).problems.empty());
  CHECK(maintenance->repair({}, {}).head == 3);
  CHECK(maintenance->check({}).problems.empty());

  auto reindexed = maintenance->reindex(100, {});
  CHECK(reindexed.events == 3);
  CHECK(reindexed.eventTypes == 2);
  CHECK(reindexed.tags == 3);

  auto missing = makePostgresStorage(host, dir.path() / "never", {{"schema", "maintained"}},
                                     sdk::StoragePurpose::maintenance);
  CHECK_FALSE(sdk::capabilityOf<sdk::StorageMaintenance>(*missing)->exists());
}

TEST_CASE("a postgres store loads no serializer and no index", "[storage][postgres]") {
  opossum::test::TempDir dir;
  opossum::EventStoreOptions options;
  options.rootPath = dir.path();
  options.storeName = dir.path().filename().string();
  auto config = opossum::defaultConfig(options);
  config.pluginPaths = {opossum::test::pluginDir()};
  config.storage =
      PluginChoice{"postgres", std::nullopt, {{"conninfo", opossum::test::postgresConninfo()}}};
  auto store = opossum::createEventStore(config);
  store->append({newEvent("A", {}, "{}")});
  auto description = store->describe();
  REQUIRE(description.plugins.size() == 1);
  CHECK(description.plugins[0].name == "postgres");
  CHECK(description.head == 1);
  // Nothing on disk either: the store lives in the database.
  CHECK_FALSE(std::filesystem::exists(dir.path() / options.storeName));
}

TEST_CASE("a given timestamp reads back to the nanosecond, before 1970 too",
          "[storage][postgres]") {
  PluginHost host({opossum::test::pluginDir()});
  opossum::test::TempDir dir;
  auto storage = makePostgresStorage(host, dir.path() / dir.path().filename());
  std::vector<opossum::NewEvent> events{newEvent("A", {}, "{}"), newEvent("B", {}, "{}")};
  events[0].metadata.timestamp =
      opossum::Timestamp{std::chrono::nanoseconds{1'796'000'523'123'456'789}};
  events[1].metadata.timestamp = opossum::Timestamp{std::chrono::nanoseconds{-1'000'000'001}};
  sdk::AppendRequest request{&events, nullptr};
  REQUIRE(storage->append({&request, 1}, {})[0].committed);
  auto read = storage->read(opossum::Query::all(), {});
  REQUIRE(read.size() == 2);
  CHECK(read[0].metadata == events[0].metadata);
  CHECK(read[1].metadata == events[1].metadata);
}

TEST_CASE("the postgres storage's projection state conforms", "[storage][postgres]") {
  PluginHost host({opossum::test::pluginDir()});
  sdk::conformance::checkProjectionStatesConformance([&](const std::filesystem::path& dir) {
    auto unique = dir.parent_path().filename().string() + "_" + dir.filename().string();
    auto storage = makePostgresStorage(host, dir.parent_path() / unique);
    auto* states = sdk::capabilityOf<sdk::ProjectionStates>(*storage);
    REQUIRE(states != nullptr);
    return std::shared_ptr<sdk::ProjectionStates>(storage, states);
  });
}

TEST_CASE("a postgres schema of version 1 gains the projection tables when opened",
          "[storage][postgres]") {
  PluginHost host({opossum::test::pluginDir()});
  opossum::test::TempDir dir;
  const std::string name = dir.path().filename().string();
  makePostgresStorage(host, dir.path() / name, {{"schema", "migrated"}});
  // Back to what version 1 had.
  rows(
      "DROP TABLE migrated.projection_instances, migrated.projection_records;"
      " DELETE FROM migrated.schema_version WHERE version = 2; SELECT 1");
  REQUIRE(rows("SELECT max(version) FROM migrated.schema_version")[0][0] == "1");
  auto storage = makePostgresStorage(host, dir.path() / name, {{"schema", "migrated"}});
  CHECK(rows("SELECT max(version) FROM migrated.schema_version")[0][0] == "2");
  auto* states = sdk::capabilityOf<sdk::ProjectionStates>(*storage);
  REQUIRE(states != nullptr);
  states->writeRecord("p", {sdk::ProjectionRecordKind::checkpoint, "c"}, {});
  CHECK(states->readRecord("p", sdk::ProjectionRecordKind::checkpoint) ==
        std::optional<std::string>("c"));
}
