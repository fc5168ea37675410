// The `opossum` tool's commands on a store with known content: exact plain and --json output,
// exit statuses, append conditions, export/import round trips, tail.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <filesystem>
#include <string>

#include "cli_runner.hpp"
#include "opossum/sdk/plugin.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using opossum::test::Cli;
using opossum::test::CliResult;
using opossum::test::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kEvents =
    R"({"eventType":"CartOpened","event":{"cart":"C1","customer":"ann"},"tags":[{"key":"cart","value":"C1"},{"key":"customer","value":"ann"}],"metadata":{"timestamp":"2026-03-01T09:00:00Z","correlationId":"k-1"}})"
    "\n"
    R"({"eventType":"ItemAdded","event":{"sku":"A-1","qty":2,"price":1.50},"tags":[{"key":"cart","value":"C1"},{"key":"sku","value":"A-1"}],"metadata":{"timestamp":"2026-03-01T09:01:00.123456789Z"}})"
    "\n\n"
    R"({"eventType":"CartOpened","event":{"cart":"C2","customer":"bob"},"tags":[{"key":"cart","value":"C2"},{"key":"customer","value":"bob"}],"metadata":{"timestamp":"2026-03-01T09:02:00Z"}})"
    "\n"
    R"({"eventType":"ItemAdded","event":{"sku":"B 2","qty":1},"tags":[{"key":"cart","value":"C2"},{"key":"sku","value":"B 2"}],"metadata":{"timestamp":"2026-03-01T09:03:00Z","userId":"u-7"}})"
    "\n"
    R"({"eventType":"CheckedOut","event":{"cart":"C1","total":3.00},"tags":[{"key":"cart","value":"C1"}],"metadata":{"timestamp":"2026-03-01T09:04:00Z"}})"
    "\n";

const std::string kPlain[] = {
    R"(1  2026-03-01T09:00:00.000Z  CartOpened  cart=C1 customer=ann  {"cart":"C1","customer":"ann"}  correlationId=k-1)",
    R"(2  2026-03-01T09:01:00.123Z  ItemAdded  cart=C1 sku=A-1  {"sku":"A-1","qty":2,"price":1.50})",
    R"(3  2026-03-01T09:02:00.000Z  CartOpened  cart=C2 customer=bob  {"cart":"C2","customer":"bob"})",
    R"(4  2026-03-01T09:03:00.000Z  ItemAdded  cart=C2 sku="B 2"  {"sku":"B 2","qty":1}  userId=u-7)",
    R"(5  2026-03-01T09:04:00.000Z  CheckedOut  cart=C1  {"cart":"C1","total":3.00})",
};

const std::string kJson[] = {
    R"({"position":1,"eventType":"CartOpened","event":{"cart":"C1","customer":"ann"},"tags":[{"key":"cart","value":"C1"},{"key":"customer","value":"ann"}],"metadata":{"timestamp":"2026-03-01T09:00:00.000000000Z","correlationId":"k-1"}})",
    R"({"position":2,"eventType":"ItemAdded","event":{"sku":"A-1","qty":2,"price":1.50},"tags":[{"key":"cart","value":"C1"},{"key":"sku","value":"A-1"}],"metadata":{"timestamp":"2026-03-01T09:01:00.123456789Z"}})",
    R"({"position":3,"eventType":"CartOpened","event":{"cart":"C2","customer":"bob"},"tags":[{"key":"cart","value":"C2"},{"key":"customer","value":"bob"}],"metadata":{"timestamp":"2026-03-01T09:02:00.000000000Z"}})",
    R"({"position":4,"eventType":"ItemAdded","event":{"sku":"B 2","qty":1},"tags":[{"key":"cart","value":"C2"},{"key":"sku","value":"B 2"}],"metadata":{"timestamp":"2026-03-01T09:03:00.000000000Z","userId":"u-7"}})",
    R"({"position":5,"eventType":"CheckedOut","event":{"cart":"C1","total":3.00},"tags":[{"key":"cart","value":"C1"}],"metadata":{"timestamp":"2026-03-01T09:04:00.000000000Z"}})",
};

std::string lines(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& part : parts) out += part + "\n";
  return out;
}

// A store "shop" under <tmp>/data with the five events above; with OPOSSUM_TEST_STORAGE=postgres,
// stores on the tests' PostgreSQL server instead, in a schema of the test's own.
struct Fixture {
  TempDir tmp;
  Cli cli{tmp.path()};
  std::string root = (tmp.path() / "data").string();
  std::string config;  // on PostgreSQL: the config file every command is given
  std::string shopAt;  // where the tool says "shop" is

  Fixture() {
    if (opossum::test::onPostgres()) {
      config = (tmp.path() / "pg.json").string();
      opossum::test::writeWhole(config, R"({"store":{"name":"shop","rootPath":")" + root +
                                            R"("},"plugins":{"storage":)" +
                                            opossum::test::postgresStorageJson(tmp.path()) + "}}");
    }
    CliResult r = cli.run(store({"append"}), kEvents);
    REQUIRE(r.err == "");
    REQUIRE(r.out == "appended 5 events at positions 1..5\n");
    REQUIRE(r.status == 0);
    rapidjson::Document info;
    info.Parse(cli.run(store({"info", "--json"})).out.c_str());
    REQUIRE(info.IsObject());
    shopAt = info["store"].GetString();
  }
  std::vector<std::string> store(std::vector<std::string> args,
                                 const std::string& name = "shop") const {
    std::vector<std::string> all{std::move(args.front())};
    if (config.empty()) {
      all.insert(all.end(), {"--root", root, "--store", name});
    } else {
      all.insert(all.end(), {"--config", config, "--store", name});
    }
    all.insert(all.end(), args.begin() + 1, args.end());
    return all;
  }
  // Where the tool says store `name` is: a folder, or a server, schema and store.
  std::string location(const std::string& name) const {
    return shopAt.substr(0, shopAt.size() - std::string("shop").size()) + name;
  }
};

std::uint64_t bytesUnder(const fs::path& dir) {
  std::uint64_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

}  // namespace

TEST_CASE("read prints every event, plain and as JSON lines", "[engines]") {
  Fixture f;
  CliResult plain = f.cli.run(f.store({"read"}));
  CHECK(plain.status == 0);
  CHECK(plain.err == "");
  CHECK(plain.out == lines({kPlain[0], kPlain[1], kPlain[2], kPlain[3], kPlain[4]}));
  CliResult json = f.cli.run(f.store({"read", "--json"}));
  CHECK(json.status == 0);
  CHECK(json.out == lines({kJson[0], kJson[1], kJson[2], kJson[3], kJson[4]}));
}

TEST_CASE("read queries: --type OR, --tag AND, --item OR-ed items, --from, --max, --desc",
          "[engines]") {
  Fixture f;
  CHECK(f.cli.run(f.store({"read", "--type", "CartOpened", "--type", "CheckedOut"})).out ==
        lines({kPlain[0], kPlain[2], kPlain[4]}));
  CHECK(f.cli.run(f.store({"read", "--tag", "cart=C1", "--tag", "sku=A-1"})).out ==
        lines({kPlain[1]}));
  CHECK(f.cli.run(f.store({"read", "--type", "ItemAdded", "--tag", "cart=C2"})).out ==
        lines({kPlain[3]}));
  CHECK(f.cli.run(f.store({"read", "--item", "type=CheckedOut", "--item", "tag=sku=B 2"})).out ==
        lines({kPlain[3], kPlain[4]}));
  CHECK(f.cli.run(f.store({"read", "--item", "type=ItemAdded,CheckedOut;tag=cart=C1"})).out ==
        lines({kPlain[1], kPlain[4]}));
  CHECK(f.cli.run(f.store({"read", "--item", "*", "--from", "3"})).out ==
        lines({kPlain[3], kPlain[4]}));
  CHECK(f.cli.run(f.store({"read", "--tag", "cart=C1", "--desc", "--max", "2"})).out ==
        lines({kPlain[4], kPlain[1]}));
  CHECK(f.cli.run(f.store({"read", "--max", "2", "--json"})).out == lines({kJson[0], kJson[1]}));
  CHECK(f.cli.run(f.store({"read", "--tag", "cart=nope"})).out == "");
}

TEST_CASE("last prints the newest matching event, or nothing", "[engines]") {
  Fixture f;
  CHECK(f.cli.run(f.store({"last", "--type", "CartOpened"})).out == lines({kPlain[2]}));
  CHECK(f.cli.run(f.store({"last", "--tag", "customer=ann", "--json"})).out == lines({kJson[0]}));
  CliResult none = f.cli.run(f.store({"last", "--type", "Nope"}));
  CHECK(none.status == 0);
  CHECK(none.out == "");
}

TEST_CASE("info shows plugins, head, counts per type, tags and bytes") {
  Fixture f;
  const std::string dir = (fs::path(f.root) / "shop").string();
  CliResult r = f.cli.run(f.store({"info"}));
  CHECK(r.status == 0);
  const std::string bytes = std::to_string(bytesUnder(dir));
  CHECK(r.out ==
        lines({"store        " + dir, "storage      file-per-event 1.0.0",
               "serializer   json 1.0.0 (format opossum-json 1)",
               "index        tag-index 1.0.0 (format opossum-tag-index 2)", "head         5",
               "events       5", "tags         6 distinct", "bytes        " + bytes,
               "event types  3", "  CartOpened  2", "  CheckedOut  1", "  ItemAdded   2"}));
  CliResult json = f.cli.run(f.store({"info", "--json"}));
  CHECK(
      json.out ==
      R"({"store":")" + dir +
          R"(","plugins":{"storage":{"name":"file-per-event","version":"1.0.0"},"serializer":{"name":"json","version":"1.0.0","format":"opossum-json","formatVersion":1},"index":{"name":"tag-index","version":"1.0.0","format":"opossum-tag-index","formatVersion":2}},"head":5,"events":5,"eventTypes":{"CartOpened":2,"CheckedOut":1,"ItemAdded":2},"distinctTags":6,"bytes":)" +
          bytes + "}\n");
}

TEST_CASE("append with a failing condition exits 3 and writes nothing", "[engines]") {
  Fixture f;
  const std::string event = R"({"eventType":"CartOpened","event":{"cart":"C1"}})"
                            "\n";
  CliResult r = f.cli.run(f.store({"append", "--fail-if", "tag=cart=C1", "--after", "4"}), event);
  CHECK(r.status == 3);
  CHECK(r.out == "");
  CHECK(r.err ==
        "opossum: append condition failed: an event at position 5 matches failIfEventsMatch after "
        "position 4\n");
  CHECK(f.cli.run(f.store({"read"})).out ==
        lines({kPlain[0], kPlain[1], kPlain[2], kPlain[3], kPlain[4]}));

  SECTION("--after alone guards against any later event") {
    CHECK(f.cli.run(f.store({"append", "--after", "4"}), event).status == 3);
    CliResult ok = f.cli.run(f.store({"append", "--after", "5", "--json"}), event);
    CHECK(ok.status == 0);
    CHECK(ok.out == "{\"count\":1,\"firstPosition\":6,\"lastPosition\":6}\n");
  }
  SECTION("a condition that does not match appends") {
    CliResult ok = f.cli.run(
        f.store({"append", "--fail-if", "type=CheckedOut;tag=cart=C2", "--fail-if", "tag=cart=C3"}),
        event);
    CHECK(ok.status == 0);
    CHECK(ok.out == "appended 1 event at position 6\n");
  }
}

TEST_CASE("append refuses bad input with the line number and writes nothing", "[engines]") {
  Fixture f;
  CliResult bad = f.cli.run(f.store({"append"}), R"({"eventType":"A","event":{}})"
                                                 "\n"
                                                 R"({"eventType":"B","event":[1]})"
                                                 "\n");
  CHECK(bad.status == 1);
  CHECK(bad.err.rfind("opossum: standard input, line 2: ", 0) == 0);
  CHECK(f.cli.run(f.store({"read", "--from", "5"})).out == "");
  CliResult empty = f.cli.run(f.store({"append"}), "\n");
  CHECK(empty.status == 1);
  CHECK(empty.err == "opossum: no events in standard input\n");
}

TEST_CASE("export then import into a new store gives identical reads", "[engines]") {
  Fixture f;
  CliResult exported = f.cli.run(f.store({"export", "-o", "shop.ndjson"}));
  CHECK(exported.status == 0);
  CHECK(exported.out == "exported 5 events to shop.ndjson\n");
  CHECK(opossum::test::readWhole(f.tmp / "shop.ndjson") ==
        lines({kJson[0], kJson[1], kJson[2], kJson[3], kJson[4]}));
  CHECK(f.cli.run(f.store({"export"})).out ==
        lines({kJson[0], kJson[1], kJson[2], kJson[3], kJson[4]}));

  CliResult imported = f.cli.run(f.store({"import", "-i", "shop.ndjson", "--batch", "2"}, "copy"));
  CHECK(imported.status == 0);
  CHECK(imported.out == "imported 5 events into " + f.location("copy") + "\n");
  for (auto args : std::vector<std::vector<std::string>>{
           {"read", "--json"}, {"read", "--tag", "cart=C1"}, {"read", "--type", "ItemAdded"}}) {
    CHECK(f.cli.run(f.store(args, "copy")).out == f.cli.run(f.store(args)).out);
  }

  SECTION("import refuses a store that is not empty") {
    CliResult again = f.cli.run(f.store({"import", "-i", "shop.ndjson"}, "copy"));
    CHECK(again.status == 1);
    CHECK(again.err.find("import needs an empty store") != std::string::npos);
  }
  SECTION("import refuses a gap in the positions") {
    opossum::test::writeWhole(f.tmp / "gap.ndjson", lines({kJson[0], kJson[2]}));
    CliResult gap = f.cli.run(f.store({"import", "-i", "gap.ndjson"}, "gap"));
    CHECK(gap.status == 1);
    CHECK(gap.err ==
          "opossum: input file 'gap.ndjson', line 2: position 3, expected 2 (an export lists "
          "positions 1, 2, 3, ... in order); import stopped: nothing was imported\n");
  }
}

TEST_CASE("export from json and import into a cbor store keeps every event") {
  if (!fs::exists(opossum::test::pluginDir() / "libopossum_serializer_cbor.so")) {
    WARN("the cbor serializer plugin is not built; skipping");
    return;
  }
  Fixture f;
  REQUIRE(f.cli.run(f.store({"export", "-o", "shop.ndjson"})).status == 0);
  CliResult imported =
      f.cli.run(f.store({"import", "--serializer", "cbor", "-i", "shop.ndjson"}, "binary"));
  REQUIRE(imported.status == 0);
  CHECK(fs::exists(fs::path(f.root) / "binary" / "events" / "000000001.cbor"));
  // The store's manifest tells the tool which serializer to load; no --serializer needed.
  CHECK(f.cli.run(f.store({"info"}, "binary")).out.find("serializer   cbor ") != std::string::npos);
  std::string fromCbor = f.cli.run(f.store({"read", "--json"}, "binary")).out;
  std::string fromJson = f.cli.run(f.store({"read", "--json"})).out;
  // CBOR keeps numbers as numbers (1.50 reads back as 1.5): the events are equal as JSON.
  std::istringstream a(fromJson), b(fromCbor);
  std::string la, lb;
  int n = 0;
  while (std::getline(a, la)) {
    REQUIRE(std::getline(b, lb));
    rapidjson::Document da, db;
    da.Parse(la.c_str());
    db.Parse(lb.c_str());
    CHECK(da == db);
    ++n;
  }
  CHECK(n == 5);
  CHECK_FALSE(std::getline(b, lb));
  CHECK(f.cli.run(f.store({"read", "--tag", "cart=C1"}, "binary")).out.find("CheckedOut") !=
        std::string::npos);
  // And back: cbor -> json again gives the same JSON lines as the cbor store reads.
  REQUIRE(f.cli.run(f.store({"export", "-o", "binary.ndjson"}, "binary")).status == 0);
  REQUIRE(f.cli.run(f.store({"import", "-i", "binary.ndjson"}, "back")).status == 0);
  CHECK(f.cli.run(f.store({"read", "--json"}, "back")).out == fromCbor);
}

TEST_CASE("tail prints events committed after it started, until SIGINT", "[engines]") {
  Fixture f;
  pid_t pid = f.cli.start(f.store({"tail", "--interval", "20", "--json", "--type", "Paid"}));
  // Give it time to read the head, then append a non-matching and a matching event.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  fs::create_directories(f.tmp.path() / "appender");
  Cli other(f.tmp.path() / "appender");
  REQUIRE(
      other
          .run(
              f.store({"append"}),
              R"({"eventType":"Noise","event":{}})"
              "\n"
              R"({"eventType":"Paid","event":{"amount":3},"metadata":{"timestamp":"2026-03-02T00:00:00Z"}})"
              "\n")
          .status == 0);
  const std::string expected =
      R"({"position":7,"eventType":"Paid","event":{"amount":3},"tags":[],"metadata":{"timestamp":"2026-03-02T00:00:00.000000000Z"}})"
      "\n";
  for (int i = 0; i < 200 && f.cli.stdoutSoFar() != expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ::kill(pid, SIGINT);
  CliResult r = f.cli.wait(pid);
  CHECK(r.status == 0);
  CHECK(r.out == expected);
  CHECK(r.err == "");
}

TEST_CASE("plugins lists the default plugins with kind, name, version, ABI and file") {
  TempDir tmp;
  Cli cli(tmp.path());
  CliResult r = cli.run({"plugins"});
  CHECK(r.status == 0);
  const std::string dir = fs::canonical(opossum::test::pluginDir()).string();
  const std::string abi =
      std::to_string(OPOSSUM_SDK_ABI_MAJOR) + "." + std::to_string(OPOSSUM_SDK_ABI_MINOR);
  CHECK(r.out.rfind("KIND", 0) == 0);
  CHECK(r.out.find("serializer         json               1.0.0    " + abi + "  " + dir +
                   "/libopossum_serializer_json.so\n") != std::string::npos);
  CHECK(r.out.find("storage            file-per-event     1.0.0    " + abi + "  " + dir +
                   "/libopossum_storage_file.so\n") != std::string::npos);
  CHECK(r.out.find("storage            postgres           1.0.0    " + abi + "  " + dir +
                   "/libopossum_storage_postgres.so\n") != std::string::npos);
  CliResult json = cli.run({"plugins", "--json"});
  CHECK(json.out.find(R"({"kind":"index","name":"tag-index","version":"1.0.0","abi":")" + abi +
                      R"(","file":")" + dir + "/libopossum_index_tag.so\",") != std::string::npos);
}

TEST_CASE("delete-store needs --yes", "[engines]") {
  Fixture f;
  CliResult refused = f.cli.run(f.store({"delete-store"}));
  CHECK(refused.status == 2);
  CHECK(f.cli.run(f.store({"read", "--max", "1"})).out == lines({kPlain[0]}));
  CliResult deleted = f.cli.run(f.store({"delete-store", "--yes"}));
  CHECK(deleted.status == 0);
  CHECK(deleted.out == "deleted store " + f.location("shop") + " (5 events)\n");
  CliResult gone = f.cli.run(f.store({"read"}));
  if (opossum::test::onPostgres()) {
    // The store's row stays (head 0), so Store objects open elsewhere go on from position 1.
    CHECK(gone.status == 0);
    CHECK(gone.out == "");
    CHECK(f.cli.run(f.store({"info", "--json"})).out.find(R"("head":0,)") != std::string::npos);
  } else {
    CHECK(gone.status == 1);
    CHECK(gone.err.find("no store at") != std::string::npos);
  }
}

TEST_CASE("usage errors exit 2 with one line; --help shows an example for every command") {
  TempDir tmp;
  Cli cli(tmp.path());
  CliResult none = cli.run({});
  CHECK(none.status == 2);
  CliResult noStore = cli.run({"read"});
  CHECK(noStore.status == 2);
  CHECK(noStore.err ==
        "opossum: give --config FILE, or --root DIR --store NAME (run with --help for usage)\n");
  CliResult badTag = cli.run({"read", "--store", "s", "--tag", "novalue"});
  CHECK(badTag.status == 2);
  CHECK(cli.run({"read", "--store", "s", "--bogus"}).status == 2);
  CHECK(cli.run({"read", "--store", "s", "--max", "x"}).status == 2);
  for (const char* command : {"info", "read", "last", "append", "tail", "export", "import",
                              "verify", "reindex", "plugins", "delete-store"}) {
    CliResult help = cli.run({command, "--help"});
    INFO(command);
    CHECK(help.status == 0);
    CHECK(help.out.find("Example:\n  opossum ") != std::string::npos);
  }
  CliResult missing = cli.run({"read", "--root", "data", "--store", "nothing"});
  CHECK(missing.status == 1);
  CHECK(missing.err == "opossum: no store at 'data/nothing'\n");
  CHECK_FALSE(fs::exists(tmp.path() / "data"));
}
