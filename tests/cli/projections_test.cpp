// `opossum projections list | status | rebuild` on a store whose config lists the loader tests'
// fixture projection plugin (fixture-points: points per member, Boom fails): exact plain and
// --json output, durations masked.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using opossum::test::Cli;
using opossum::test::CliResult;
using opossum::test::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kEvents = R"({"eventType":"PointsEarned","event":{"member":"m-1","points":40}})"
                            "\n"
                            R"({"eventType":"PointsEarned","event":{"member":"m-2","points":5}})"
                            "\n"
                            R"({"eventType":"Other","event":{}})"
                            "\n"
                            R"({"eventType":"PointsEarned","event":{"member":"m-1","points":70}})"
                            "\n";

// Durations differ from run to run.
std::string masked(const std::string& text) {
  std::string out = std::regex_replace(text, std::regex("in [0-9]+ ms"), "in N ms");
  return std::regex_replace(out, std::regex("\"durationMs\":[0-9]+"), "\"durationMs\":0");
}

// A store "shop" under <tmp>/data holding kEvents, and a config naming fixture-points.
struct Fixture {
  TempDir tmp;
  Cli cli{tmp.path()};
  std::string config = (tmp.path() / "store.json").string();

  explicit Fixture(const std::string& libraries = R"(["fixture-points"])") {
    // On PostgreSQL the events and the projection state are rows of the tests' server.
    const std::string storage =
        opossum::test::onPostgres()
            ? R"(, "storage": )" + opossum::test::postgresStorageJson(tmp.path())
            : "";
    std::ofstream(config) << R"({"store": {"name": "shop", "rootPath": ")"
                          << (tmp.path() / "data").string() << R"("}, "plugins": {"path": [")"
                          << OPOSSUM_PROJECTION_FIXTURE_DIR
                          << R"("], "projections": {"libraries": )" << libraries << "}" << storage
                          << "}}";
    CliResult r = cli.run({"append", "--config", config}, kEvents);
    REQUIRE(r.err == "");
    REQUIRE(r.out == "appended 4 events at positions 1..4\n");
    REQUIRE(r.status == 0);
  }
  CliResult run(std::vector<std::string> args) {
    args.insert(args.begin() + 2, {"--config", config});
    return cli.run(args);
  }
};

}  // namespace

TEST_CASE("projections list and status before and after a rebuild", "[engines]") {
  Fixture f;
  CliResult list = f.run({"projections", "list"});
  CHECK(list.status == 0);
  CHECK(list.err == "");
  CHECK(list.out ==
        "NAME            CHECKPOINT\n"
        "fixture-points  none\n");
  CHECK(f.run({"projections", "list", "--json"}).out ==
        R"({"name":"fixture-points","hasCheckpoint":false,"checkpoint":0})"
        "\n");
  CHECK(f.run({"projections", "status"}).out ==
        "NAME            CHECKPOINT  HEAD  KEYS  REBUILD\n"
        "fixture-points  none        4     0     none\n");

  CliResult rebuilt = f.run({"projections", "rebuild", "fixture-points"});
  CHECK(rebuilt.status == 0);
  CHECK(rebuilt.err == "");  // no progress: stderr is not a terminal
  CHECK(masked(rebuilt.out) ==
        "rebuilt fixture-points: 3 events processed in N ms, checkpoint 4\n");

  CHECK(f.run({"projections", "list"}).out ==
        "NAME            CHECKPOINT\n"
        "fixture-points  4\n");
  CHECK(f.run({"projections", "status", "fixture-points"}).out ==
        "NAME            CHECKPOINT  HEAD  KEYS  REBUILD\n"
        "fixture-points  4           4     2     none\n");
  CHECK(f.run({"projections", "status", "--json"}).out ==
        R"({"name":"fixture-points","hasCheckpoint":true,"checkpoint":4,"head":4,"keys":2,)"
        R"("rebuilding":false,"interrupted":false,"rebuildProgress":0,"rebuildEventsProcessed":0})"
        "\n");
  if (opossum::test::onPostgres()) {
    // The engine keeps the state in its database (projection_state_postgres_test reads it).
    CHECK_FALSE(fs::exists(f.tmp.path() / "data/shop/projections"));
    return;
  }
  // The rebuilt state is the plugin's (the one state file of m-1, in the live generation).
  std::vector<std::string> states;
  for (const auto& entry :
       fs::recursive_directory_iterator(f.tmp.path() / "data/shop/projections")) {
    if (entry.path().filename() == "m-1.json") states.push_back(opossum::test::readWhole(entry));
  }
  REQUIRE(states.size() == 1);
  CHECK_THAT(states[0], Catch::Matchers::Contains(R"("state":{"points":110,"level":"gold"})"));
}

TEST_CASE("projections rebuild NAME and --all, plain and --json", "[engines]") {
  Fixture f;
  CliResult one = f.run({"projections", "rebuild", "fixture-points", "--json"});
  CHECK(one.status == 0);
  CHECK(
      masked(one.out) ==
      R"({"projection":"fixture-points","durationMs":0,"eventsProcessed":3,"checkpoint":4,"resumed":false})"
      "\n");
  CliResult all = f.run({"projections", "rebuild", "--all"});
  CHECK(all.status == 0);
  CHECK(all.err == "");
  CHECK(masked(all.out) ==
        "rebuilt fixture-points: 3 events processed in N ms, checkpoint 4\n"
        "rebuilt 1 projection: 3 events processed in N ms\n");
  CliResult allJson = f.run({"projections", "rebuild", "--all", "--json"});
  CHECK(allJson.status == 0);
  CHECK(
      masked(allJson.out) ==
      R"({"rebuilt":[{"projection":"fixture-points","durationMs":0,"eventsProcessed":3,"checkpoint":4,"resumed":false}],"durationMs":0,"eventsProcessed":3})"
      "\n");
}

TEST_CASE("a failed rebuild is one error line, and status shows it resumable", "[engines]") {
  Fixture f;
  CliResult boom =
      f.cli.run({"append", "--config", f.config}, R"({"eventType":"Boom","event":{"member":"m-1"}})"
                                                  "\n");
  REQUIRE(boom.status == 0);
  CliResult failed = f.run({"projections", "rebuild", "fixture-points", "--flush-interval", "2"});
  CHECK(failed.status == 1);
  CHECK(failed.out == "");
  CHECK(failed.err == "opossum: fixture-points refuses Boom at position 5\n");
  CHECK(f.run({"projections", "status"}).out ==
        "NAME            CHECKPOINT  HEAD  KEYS  REBUILD\n"
        "fixture-points  none        5     0     interrupted at 2 (2 events), resumable\n");
  CHECK(f.run({"projections", "status", "--json"}).out ==
        R"({"name":"fixture-points","hasCheckpoint":false,"checkpoint":0,"head":5,"keys":0,)"
        R"("rebuilding":false,"interrupted":true,"rebuildProgress":2,"rebuildEventsProcessed":2})"
        "\n");
  CliResult all = f.run({"projections", "rebuild", "--all"});
  CHECK(all.status == 1);
  CHECK(all.out == "");
  CHECK(all.err ==
        "opossum: 1 of 1 projection failed to rebuild (the others were rebuilt): fixture-points: "
        "fixture-points refuses Boom at position 5\n");
}

TEST_CASE("projections errors and a config without projections", "[engines]") {
  Fixture f;
  CliResult unknown = f.run({"projections", "rebuild", "nope"});
  CHECK(unknown.status == 1);
  CHECK(unknown.out == "");
  CHECK(unknown.err ==
        "opossum: no projection 'nope' is registered for this store (registered: "
        "fixture-points)\n");
  CHECK(f.run({"projections", "status", "nope"}).status == 1);
  CliResult neither = f.run({"projections", "rebuild"});
  CHECK(neither.status == 2);
  CHECK(neither.err ==
        "opossum: rebuild takes a projection NAME or --all, not both (run with --help for "
        "usage)\n");
  CHECK(f.run({"projections", "rebuild", "fixture-points", "--all"}).status == 2);
  CliResult help = f.cli.run({"projections", "rebuild", "--help"});
  CHECK(help.status == 0);
  CHECK_THAT(help.out, Catch::Matchers::Contains("Example:\n  opossum projections rebuild"));

  Fixture none("[]");
  CHECK(none.run({"projections", "list"}).out ==
        "(no projections: the config lists none under plugins.projections.libraries)\n");
  CHECK(none.run({"projections", "list", "--json"}).out == "");
  CHECK(masked(none.run({"projections", "rebuild", "--all"}).out) ==
        "rebuilt 0 projections: 0 events processed in N ms\n");
  CliResult noStore = f.cli.run({"projections", "list", "--root", "data", "--store", "missing"});
  CHECK(noStore.status == 1);
  CHECK_THAT(noStore.err, Catch::Matchers::StartsWith("opossum: no store at "));
}
