// On the postgres engine, projections keep their instances and checkpoints in the store's
// database (the storage's projection-state capability): no projection file is written, a batch
// and its checkpoint are one transaction, a rebuild switches generations there, and deleteStore
// removes them with the events.
#include <libpq-fe.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "opossum/opossum.hpp"
#include "postgres_server.hpp"
#include "projection_fixtures.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::Counter;
namespace fs = std::filesystem;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

// The first column of each row, through libpq directly (what a DBA sees in psql).
std::vector<std::string> column(const std::string& sql) {
  PGconn* connection = PQconnectdb(opossum::test::postgresConninfo().c_str());
  REQUIRE(PQstatus(connection) == CONNECTION_OK);
  PGresult* result = PQexec(connection, sql.c_str());
  INFO(sql << "\n" << PQerrorMessage(connection));
  REQUIRE(PQresultStatus(result) == PGRES_TUPLES_OK);
  std::vector<std::string> out;
  for (int r = 0; r < PQntuples(result); ++r) out.emplace_back(PQgetvalue(result, r, 0));
  PQclear(result);
  PQfinish(connection);
  return out;
}

}  // namespace

TEST_CASE("postgres keeps projection state and checkpoints in its database", "[projections]") {
  test::TempDir dir;
  const std::string name = "p" + dir.path().filename().string();
  EventStoreOptions options;
  options.rootPath = dir.path();
  options.storeName = name;
  StoreConfig config = defaultConfig(options);
  config.storage = PluginChoice{
      "postgres", std::nullopt, {{"conninfo", test::postgresConninfo()}, {"schema", "projected"}}};
  auto store = createEventStore(config);
  std::vector<NewEvent> events;
  for (int i = 0; i < 30; ++i) events.push_back(test::sale("shop" + std::to_string(i % 3)));
  events.push_back(test::noise());
  store->append(events, std::nullopt);

  const std::string where =
      " FROM projected.projection_instances i JOIN projected.stores s ON s.id = i.store_id"
      " WHERE s.name = '" +
      name + "'";
  const std::string checkpoint =
      "SELECT r.content FROM projected.projection_records r JOIN projected.stores s"
      " ON s.id = r.store_id WHERE s.name = '" +
      name + "' AND r.projection = 'sales' AND r.kind = 'checkpoint'";
  {
    ProjectionManager manager({.eventStore = store});
    manager.registerProjection(test::counterProjection());
    manager.update(store->read(Query::all(), {}));
    CHECK(manager.checkpoint("sales") == 31);
    CHECK(manager.getStore<Counter>("sales").get("shop1") == Counter{10, "shop1"});
    CHECK(manager.stateCount("sales") == 3);

    CHECK(column("SELECT i.key" + where + " ORDER BY i.key") ==
          std::vector<std::string>{"shop0", "shop1", "shop2"});
    CHECK(column("SELECT i.state::text" + where + " AND i.key = 'shop2'") ==
          std::vector<std::string>{R"({"count":10,"shop":"shop2"})"});
    auto record = column(checkpoint);
    REQUIRE(record.size() == 1);
    CHECK(record[0].find(R"("generation":1,"position":31)") != std::string::npos);
    // Nothing of it in files.
    CHECK_FALSE(fs::exists(dir / name / "projections"));

    // A rebuild fills generation 2 and makes it live in the transaction of its checkpoint.
    store->append({test::sale("shop0")}, std::nullopt);
    ProjectionRebuilder(manager).rebuild("sales");
    CHECK(manager.getStore<Counter>("sales").get("shop0") == Counter{11, "shop0"});
    CHECK(column("SELECT DISTINCT i.generation::text" + where) == std::vector<std::string>{"2"});
    CHECK(column(checkpoint)[0].find(R"("generation":2,"position":32)") != std::string::npos);
  }
  {
    // Another manager (another process, say) finds it all in the database.
    ProjectionManager manager({.eventStore = store});
    manager.registerProjection(test::counterProjection());
    CHECK(manager.checkpoint("sales") == 32);
    CHECK(manager.getStore<Counter>("sales").getAll().size() == 3);
  }
  store->deleteStore();
  CHECK(column("SELECT i.key" + where).empty());
  CHECK(column(checkpoint).empty());
}
