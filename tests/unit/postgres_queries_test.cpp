// The postgres storage's reads and condition checks are served by indexes that start where the
// scan starts and stop after the rows it returns: EXPLAIN ANALYZE of the plugin's own SQL, as the
// plugin runs it (prepared, generic plan), shows no sequential scan and no plan node handling more
// rows than the answer needs, however many events carry the tag or the type.
//
// OPOSSUM_PLAN_EVENTS sets the store's size (default 20,000); OPOSSUM_PLAN_OUTPUT names a file
// that receives the plans as text (the plugin's README shows them at 1,000,000 events).
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "opossum/sdk/storage.hpp"
#include "postgres_server.hpp"
#include "postgres_storage.hpp"
#include "queries.hpp"
#include "temp_dir.hpp"

namespace {

namespace pg = opossum::plugins::postgres;
namespace sdk = opossum::sdk;
using opossum::AppendCondition;
using opossum::Query;
using opossum::ReadOptions;
using opossum::Tag;

constexpr const char* kSchema = "plans";

std::size_t storeSize() {
  const char* text = std::getenv("OPOSSUM_PLAN_EVENTS");
  return text != nullptr ? std::stoul(text) : 20000;
}

// Event i: type Placed or Paid (every 2,000th: Rare); writer=w{i%4} (a quarter of the store),
// customer=c{i%100} (1% each), group=g{i/10} (10 each).
opossum::NewEvent eventNumber(std::size_t i) {
  opossum::NewEvent e;
  e.event.eventType = i % 2000 == 0 ? "Rare" : (i % 2 == 0 ? "Placed" : "Paid");
  e.event.event = R"({"n":)" + std::to_string(i) + "}";
  e.event.tags = {Tag{"writer", "w" + std::to_string(i % 4)},
                  Tag{"customer", "c" + std::to_string(i % 100)},
                  Tag{"group", "g" + std::to_string(i / 10)}};
  return e;
}

// A connection of the plugin's own, set up as the plugin sets up its sessions (generic plans, no
// JIT), so the plans are the plugin's.
class Server {
 public:
  Server() : connection_(pg::ConnectionSettings{opossum::test::postgresConninfo()}) {}

  // The first column of every row, one row per line.
  std::string exec(const std::string& sql) {
    INFO(sql);
    pg::Result result = connection_.exec(sql);
    std::string text;
    for (int r = 0; r < result.rows(); ++r) text += result.text(r, 0) + "\n";
    return text;
  }

  // EXPLAIN ANALYZE of `statement`, prepared as the plugin prepares it, in `format`.
  std::string explain(const pg::Statement& statement, const std::string& format) {
    exec("DEALLOCATE ALL");
    exec("PREPARE probe AS " + statement.sql);
    std::string arguments;
    for (const auto& param : statement.params) {
      std::string literal = "'";
      for (char c : *param) literal += c == '\'' ? std::string("''") : std::string(1, c);
      arguments += (arguments.empty() ? "" : ", ") + literal + "'";
    }
    return exec("EXPLAIN (ANALYZE, FORMAT " + format + ") EXECUTE probe(" + arguments + ")");
  }

 private:
  pg::Connection connection_;
};

// Every node of a JSON plan: (node type, rows it handled over all its loops).
void nodes(const rapidjson::Value& plan,
           const std::function<void(const std::string&, double)>& visit) {
  visit(plan["Node Type"].GetString(),
        plan["Actual Rows"].GetDouble() * plan["Actual Loops"].GetDouble());
  if (plan.HasMember("Plans")) {
    for (const auto& child : plan["Plans"].GetArray()) nodes(child, visit);
  }
}

}  // namespace

TEST_CASE("postgres reads and condition checks touch only the rows they return",
          "[storage][postgres]") {
  opossum::test::TempDir dir;
  const std::string name = dir.path().filename().string();
  sdk::StorageContext context;
  context.storeDirectory = dir.path() / name;
  context.options = {{"conninfo", opossum::test::postgresConninfo()}, {"schema", kSchema}};
  pg::PostgresStorage storage(context);
  const std::size_t size = storeSize();
  for (std::size_t first = 0; first < size; first += 1000) {
    std::vector<opossum::NewEvent> batch;
    for (std::size_t i = first; i < std::min(size, first + 1000); ++i) {
      batch.push_back(eventNumber(i));
    }
    sdk::AppendRequest request{&batch, nullptr};
    REQUIRE(storage.append({&request, 1}, {})[0].committed);
  }
  const auto head = static_cast<opossum::Position>(size);
  Server server;
  REQUIRE(server.exec("SHOW jit") == "off\n");  // its compile time would dwarf these queries
  const long long id = std::stoll(
      server.exec("SELECT id FROM plans.stores WHERE name = '" + name + "'").substr(0, 20));
  const pg::Tables tables(kSchema);

  struct Probe {
    std::string what;
    pg::Statement statement;
    double maxRows;  // per plan node, over all its loops
  };
  auto condition = [&](const std::string& what, Query query, double maxRows) {
    std::vector<pg::Param> params{std::to_string(id)};
    AppendCondition c{std::move(query), head - 8};
    std::string sql = pg::firstConflict(c, tables, params);
    return Probe{what, pg::Statement{std::move(sql), std::move(params)}, maxRows};
  };
  auto read = [&](const std::string& what, Query query, ReadOptions options, double maxRows) {
    return Probe{what, pg::readStatement(id, query, options, tables), maxRows};
  };
  const Tag busyTag{"writer", "w0"};  // a quarter of the store
  const std::vector<Probe> probes{
      condition("condition on a tag a quarter of the store carries, after head - 8",
                Query::fromTags({busyTag}), 8),
      condition("condition on a type and that tag", Query::fromItems({{{"Placed"}, {busyTag}}}), 8),
      condition("condition on a type half the store has", Query::fromEventTypes({"Placed"}), 8),
      condition("condition on two tags or a type",
                Query::fromItems({{{}, {busyTag, Tag{"customer", "c4"}}}, {{"Paid"}, {}}}), 8),
      read("readLast of a customer (1% of the store)", Query::fromTags({{"customer", "c7"}}),
           ReadOptions{true, std::nullopt, 1}, 2),
      read("tag query, 10 hits", Query::fromTags({{"group", "g5"}}), ReadOptions{}, 10),
      read("the last 3 events of a rare type", Query::fromEventTypes({"Rare"}),
           ReadOptions{true, std::nullopt, 3}, 3),
      read("the next 5 events of a busy tag from the middle", Query::fromTags({busyTag}),
           ReadOptions{false, head / 2, 5}, 5)};

  std::ofstream output;
  if (const char* file = std::getenv("OPOSSUM_PLAN_OUTPUT")) output.open(file);
  for (const bool analyzed : {false, true}) {
    // Fresh tables (no statistics yet), then after ANALYZE, as autovacuum leaves them.
    if (analyzed) server.exec("ANALYZE plans.events; ANALYZE plans.tags");
    for (const auto& probe : probes) {
      INFO(probe.what << (analyzed ? " (analyzed)" : " (fresh)") << "\n" << probe.statement.sql);
      rapidjson::Document plan;
      const std::string json = server.explain(probe.statement, "JSON");
      plan.Parse(json.c_str());
      REQUIRE_FALSE(plan.HasParseError());
      std::string worst;
      double worstRows = 0;
      nodes(plan[0]["Plan"], [&](const std::string& type, double rows) {
        CHECK(type != "Seq Scan");
        if (rows > worstRows) {
          worstRows = rows;
          worst = type;
        }
      });
      INFO("busiest node: " << worst);
      CHECK(worstRows <= probe.maxRows);
      if (output.is_open()) {
        output << "-- " << probe.what << (analyzed ? ", analyzed" : ", fresh") << ", " << size
               << " events\n"
               << server.explain(probe.statement, "TEXT") << "\n";
      }
    }
  }
}
