// Moving a store between engines with the command-line tool: export from a file store, import
// into PostgreSQL, export again (and back), 10,000 events with tags, metadata and timestamps
// down to the nanosecond. Each export is byte for byte the first.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "cli_runner.hpp"
#include "postgres_server.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using opossum::test::Cli;
using opossum::test::CliResult;
using opossum::test::TempDir;

namespace {

// Events of a shop: several types, one to three tags, every metadata field on some.
std::string shopEvents(int count) {
  static const char* const kTypes[] = {"OrderPlaced", "ItemAdded", "PaymentTaken", "OrderShipped"};
  std::string lines;
  for (int i = 0; i < count; ++i) {
    std::string tags = R"({"key":"order","value":")" + std::to_string(i / 4) + R"("})";
    if (i % 3 == 0) tags += R"(,{"key":"customer","value":"c)" + std::to_string(i % 97) + R"("})";
    if (i % 7 == 0) tags += R"(,{"key":"note","value":"ünïcödé \"quoted\" = {braces}"})";
    std::string metadata = R"({"timestamp":"2026-12-0)" + std::to_string(1 + i % 5) + "T0" +
                           std::to_string(i % 10) + ":1" + std::to_string(i % 6) + ":0" +
                           std::to_string(i % 10) + "." + std::to_string(100000000 + i * 7919) +
                           "Z\"";
    if (i % 2 == 0) metadata += R"(,"correlationId":"corr-)" + std::to_string(i / 2) + "\"";
    if (i % 5 == 0) metadata += R"(,"causationId":"cause-)" + std::to_string(i) + "\"";
    if (i % 11 == 0) metadata += R"(,"operationId":"op-)" + std::to_string(i) + "\"";
    if (i % 13 == 0) metadata += R"(,"userId":"user-)" + std::to_string(i % 3) + "\"";
    metadata += "}";
    lines += R"({"position":)" + std::to_string(i + 1) + R"(,"eventType":")" +
             std::string(kTypes[i % 4]) + R"(","event":{"i":)" + std::to_string(i) +
             R"(,"amount":)" + std::to_string(i * 1.25) + R"(,"items":[1,2,{"sku":"A-)" +
             std::to_string(i % 17) + R"("}]},"tags":[)" + tags + R"(],"metadata":)" + metadata +
             "}\n";
  }
  return lines;
}

}  // namespace

TEST_CASE("files -> PostgreSQL -> files keeps every event byte for byte", "[cli][postgres]") {
  TempDir tmp;
  Cli cli(tmp.path());
  const std::string root = (tmp.path() / "data").string();
  const std::string name = tmp.path().filename().string();  // unique on the shared server
  opossum::test::writeWhole(tmp.path() / "pg.json",
                            R"({"store": {"name": ")" + name + R"("}, "plugins": {"path": [")" +
                                opossum::test::pluginDir().string() +
                                R"("], "storage": {"name": "postgres", "conninfo": ")" +
                                opossum::test::postgresConninfo() +
                                R"(", "schema": "transfer"}}})");
  constexpr int kEvents = 10000;
  opossum::test::writeWhole(tmp.path() / "input.ndjson", shopEvents(kEvents));

  CliResult made = cli.run({"import", "--root", root, "--store", "files", "-i", "input.ndjson"});
  INFO(made.err);
  REQUIRE(made.status == 0);
  REQUIRE(cli.run({"export", "--root", root, "--store", "files", "-o", "files.ndjson"}).status ==
          0);
  const std::string fromFiles = opossum::test::readWhole(tmp.path() / "files.ndjson");
  REQUIRE(std::count(fromFiles.begin(), fromFiles.end(), '\n') == kEvents);

  CliResult intoPostgres = cli.run({"import", "--config", "pg.json", "-i", "files.ndjson"});
  INFO(intoPostgres.err);
  REQUIRE(intoPostgres.status == 0);
  CHECK_THAT(intoPostgres.out, Catch::Contains("imported 10000 events into host "));
  REQUIRE(cli.run({"export", "--config", "pg.json", "-o", "postgres.ndjson"}).status == 0);
  const std::string fromPostgres = opossum::test::readWhole(tmp.path() / "postgres.ndjson");
  CHECK(fromPostgres == fromFiles);

  // And back: PostgreSQL -> a new file store.
  CliResult back = cli.run({"import", "--root", root, "--store", "back", "-i", "postgres.ndjson"});
  INFO(back.err);
  REQUIRE(back.status == 0);
  REQUIRE(cli.run({"export", "--root", root, "--store", "back", "-o", "back.ndjson"}).status == 0);
  CHECK(opossum::test::readWhole(tmp.path() / "back.ndjson") == fromFiles);

  // The tools work on it as on files.
  CliResult verified = cli.run({"verify", "--config", "pg.json"});
  CHECK(verified.status == 0);
  CHECK(verified.out ==
        "ok: 10000 events; the store's records and indexes agree with its events\n");
  CliResult info = cli.run({"info", "--config", "pg.json"});
  CHECK(info.status == 0);
  CHECK_THAT(info.out, Catch::Contains("\nstorage      postgres 1.0.0\nhead         10000\n"));
  CHECK_THAT(info.out, !Catch::Contains("serializer"));
  CliResult tagged = cli.run({"read", "--config", "pg.json", "--json", "--tag", "customer=c5"});
  CHECK(tagged.status == 0);
  // Every third event has a customer tag, c0..c96 in turn: 35 of 10,000 are c5's.
  CHECK(std::count(tagged.out.begin(), tagged.out.end(), '\n') == 35);
}
