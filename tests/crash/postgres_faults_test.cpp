// Faults of the postgres storage: the server stopped the way a power cut would, again and again,
// under conditional appends from several writers; and a connection lost while COMMIT runs, whose
// outcome the caller cannot know. Nothing acknowledged may be lost, nothing written twice, no
// batch split, no position skipped; an unknown outcome is reported as such, never as a success.
#include <libpq-fe.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "opossum/config.hpp"
#include "opossum/errors.hpp"
#include "opossum/event_store.hpp"
#include "postgres_server.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::makeEvent;
using opossum::test::TempDir;
namespace fs = std::filesystem;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

// A PostgreSQL cluster of this test's own, so stopping it disturbs no other test.
class OwnCluster {
 public:
  explicit OwnCluster(fs::path state) : state_(std::move(state)) { run("start"); }
  ~OwnCluster() { std::system((script() + " stop " + state_.string() + " >/dev/null").c_str()); }
  void run(const std::string& action) {
    INFO("postgres_cluster.sh " << action);
    REQUIRE(std::system(
                (script() + " " + action + " " + state_.string() + " >/dev/null").c_str()) == 0);
  }
  std::string conninfo() const { return opossum::test::readConninfo(state_ / "conninfo"); }

 private:
  static std::string script() {
    return std::string(OPOSSUM_SOURCE_DIR) + "/tests/support/postgres_cluster.sh";
  }
  fs::path state_;
};

StoreConfig postgresConfig(const std::string& conninfo, const std::string& schema,
                           const std::string& name) {
  EventStoreOptions options;
  options.storeName = name;
  auto config = defaultConfig(options);
  config.logLevel = "off";
  config.storage = PluginChoice{"postgres",
                                std::nullopt,
                                {{"conninfo", conninfo},
                                 {"schema", schema},
                                 {"connectTimeoutSeconds", "2"},
                                 {"lockTimeoutMs", "2000"}}};
  return config;
}

// Runs `sql` on a connection of its own; the first column of each row.
std::vector<std::string> query(const std::string& conninfo, const std::string& sql) {
  PGconn* connection = PQconnectdb(conninfo.c_str());
  REQUIRE(PQstatus(connection) == CONNECTION_OK);
  PQsetNoticeProcessor(
      connection, [](void*, const char*) {}, nullptr);
  PGresult* result = PQexec(connection, sql.c_str());
  INFO(PQerrorMessage(connection));
  REQUIRE(
      (PQresultStatus(result) == PGRES_TUPLES_OK || PQresultStatus(result) == PGRES_COMMAND_OK));
  std::vector<std::string> out;
  for (int r = 0; r < PQntuples(result); ++r) out.emplace_back(PQgetvalue(result, r, 0));
  PQclear(result);
  PQfinish(connection);
  return out;
}

struct Batch {
  int writer = 0;
  int number = 0;
  int size = 0;
};

std::vector<NewEvent> eventsOf(const Batch& b) {
  std::vector<NewEvent> events;
  for (int i = 0; i < b.size; ++i) {
    events.push_back(
        makeEvent("Sold",
                  "{\"w\":" + std::to_string(b.writer) + ",\"b\":" + std::to_string(b.number) +
                      ",\"i\":" + std::to_string(i) + ",\"n\":" + std::to_string(b.size) + "}",
                  {{"writer", std::to_string(b.writer)}}));
  }
  return events;
}

}  // namespace

TEST_CASE("immediate server stops under conditional appends lose nothing acknowledged",
          "[crash][postgres]") {
  TempDir dir;
  OwnCluster cluster(dir.path() / "pg");
  const auto config = postgresConfig(cluster.conninfo(), "opossum", "faults");
  constexpr int kWriters = 4;
  constexpr int kStops = 5;

  std::mutex mutex;
  std::map<std::pair<int, int>, Position> acknowledged;  // (writer, batch) -> first position
  std::atomic<int> unknown{0}, conflicts{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::shared_ptr<Store> store;
      std::optional<Position> mine;  // my newest event's position, as last seen
      bool known = false;
      for (int b = 0; !stop; ++b) {
        try {
          if (!store) store = createEventStore(config);
          if (!known) {
            auto last = store->readLast(Query::fromTags({{"writer", std::to_string(w)}}));
            mine = last ? std::optional<Position>(last->position) : std::nullopt;
            known = true;
          }
          Batch batch{w, b, 1 + (b % 4)};
          Position end = store->append(
              eventsOf(batch),
              AppendCondition{Query::fromTags({{"writer", std::to_string(w)}}), mine.value_or(0)});
          mine = end;
          std::lock_guard lock(mutex);
          acknowledged[{w, b}] = end - static_cast<Position>(batch.size) + 1;
        } catch (const AppendConditionFailedError&) {
          ++conflicts;  // only after an unknown outcome that did commit
          known = false;
        } catch (const Error&) {
          ++unknown;  // the server is down: this batch may or may not be in
          known = false;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  for (int s = 0; s < kStops; ++s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    cluster.run("crash");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cluster.run("resume");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  stop = true;
  for (auto& t : writers) t.join();

  auto store = createEventStore(config);
  auto all = store->read(Query::all());
  INFO(acknowledged.size() << " batches acknowledged, " << unknown << " failed calls, " << conflicts
                           << " conflicts after an unknown outcome");
  CHECK(opossum::test::contiguityProblem(all).empty());
  CHECK(store->describe().head == all.size());
  std::map<std::pair<int, int>, Position> found;
  for (std::size_t at = 0; at < all.size();) {
    const auto& e = all[at];
    const auto w = static_cast<int>(opossum::test::payloadNumber(e.event.event, "w"));
    const auto b = static_cast<int>(opossum::test::payloadNumber(e.event.event, "b"));
    const auto n = static_cast<std::size_t>(opossum::test::payloadNumber(e.event.event, "n"));
    INFO("position " << e.position << ": " << e.event.event);
    REQUIRE(opossum::test::payloadNumber(e.event.event, "i") == 0);  // a batch starts here
    REQUIRE(at + n <= all.size());
    for (std::size_t i = 0; i < n; ++i) {
      CHECK(opossum::test::payloadNumber(all[at + i].event.event, "b") == b);
      CHECK(opossum::test::payloadNumber(all[at + i].event.event, "i") ==
            static_cast<long long>(i));
    }
    CHECK(found.emplace(std::make_pair(w, b), e.position).second);  // never twice
    at += n;
  }
  for (const auto& [batch, first] : acknowledged) {
    INFO("writer " << batch.first << " batch " << batch.second);
    auto it = found.find(batch);
    REQUIRE(it != found.end());
    CHECK(it->second == first);
  }
  CHECK(acknowledged.size() > 50);
  CHECK(unknown > 0);  // the stops did hit the writers
}

TEST_CASE("a connection lost during COMMIT is an IoError saying the outcome is unknown",
          "[crash][postgres]") {
  TempDir dir;
  const std::string conninfo = opossum::test::postgresConninfo();
  const std::string name = dir.path().filename().string();
  auto store = createEventStore(postgresConfig(conninfo, "commit_lost", name));
  // COMMIT runs deferred triggers: this one sleeps, so the connection can be cut meanwhile.
  query(conninfo,
        "CREATE OR REPLACE FUNCTION commit_lost.slow() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN IF NEW.event_type = 'SlowCommit' THEN PERFORM pg_sleep(30); END IF;"
        " RETURN NULL; END $$");
  query(conninfo, "DROP TRIGGER IF EXISTS slow_commit ON commit_lost.events");
  query(conninfo,
        "CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON commit_lost.events"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION commit_lost.slow()");

  std::string error;
  bool ioError = false;
  std::thread appender([&] {
    try {
      store->append({makeEvent("SlowCommit")});
    } catch (const IoError& e) {
      ioError = true;
      error = e.what();
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  std::vector<std::string> pids;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (pids.empty() && std::chrono::steady_clock::now() < deadline) {
    pids = query(conninfo,
                 "SELECT pid FROM pg_stat_activity WHERE query = 'COMMIT' AND state = 'active'"
                 " AND wait_event = 'PgSleep'");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(pids.size() == 1);
  query(conninfo, "SELECT pg_terminate_backend(" + pids[0] + ")");
  appender.join();
  INFO(error);
  CHECK(ioError);
  CHECK_THAT(error, Catch::Contains("outcome of a commit is unknown"));

  // The next call reconnects; the cut transaction never committed.
  CHECK(store->append({makeEvent("Normal")}) == 1);
  CHECK(store->read(Query::all()).size() == 1);
}
