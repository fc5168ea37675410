// `opossum recover` rebuilding damaged stores, `verify` reporting what makes a store unusable,
// and `reindex` of an empty store.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "cli_runner.hpp"
#include "temp_dir.hpp"

using opossum::test::Cli;
using opossum::test::CliResult;
using opossum::test::readWhole;
using opossum::test::TempDir;
using opossum::test::writeWhole;
namespace fs = std::filesystem;

namespace {

const std::string kEvents =
    R"({"eventType":"CartOpened","event":{"cart":"C1"},"tags":[{"key":"cart","value":"C1"}]})"
    "\n"
    R"({"eventType":"ItemAdded","event":{"sku":"A-1"},"tags":[{"key":"cart","value":"C1"}]})"
    "\n"
    R"({"eventType":"CartOpened","event":{"cart":"C2"},"tags":[{"key":"cart","value":"C2"}]})"
    "\n";

struct Fixture {
  TempDir tmp;
  Cli cli{tmp.path()};
  std::string root = (tmp.path() / "data").string();
  fs::path dir = tmp.path() / "data" / "shop";

  Fixture() { REQUIRE(cli.run(args({"append"}), kEvents).status == 0); }
  std::vector<std::string> args(std::vector<std::string> rest) const {
    std::vector<std::string> all{std::move(rest.front()), "--root", root, "--store", "shop"};
    all.insert(all.end(), rest.begin() + 1, rest.end());
    return all;
  }
  // The events as `read` prints them, one per line, or the error.
  std::string readAll() {
    CliResult r = cli.run(args({"read", "--json"}));
    return r.status == 0 ? r.out : "status " + std::to_string(r.status) + ": " + r.err;
  }
  // As after checkpoints reused the journal: only the event files hold the events.
  void clearJournal() {
    writeWhole(dir / "journal.log", std::string(fs::file_size(dir / "journal.log"), '\0'));
  }
};

}  // namespace

TEST_CASE("recover rebuilds a deleted ledger from the event files") {
  Fixture f;
  const std::string before = f.readAll();
  fs::remove(f.dir / "ledger.json");

  CliResult refused = f.cli.run(f.args({"append"}), kEvents);
  CHECK(refused.status == 1);
  CHECK(refused.err.find("ledger.json") != std::string::npos);
  CHECK(refused.err.find("opossum recover") != std::string::npos);
  CHECK(f.cli.run(f.args({"verify"})).status == 4);

  CliResult r = f.cli.run(f.args({"recover"}));
  CHECK(r.status == 0);
  CHECK(r.out.find("recovered ") != std::string::npos);
  CHECK(r.out.find("3 events, nothing lost") != std::string::npos);
  CHECK(f.readAll() == before);
  CHECK(f.cli.run(f.args({"verify"})).status == 0);
  CliResult next = f.cli.run(f.args({"append"}), kEvents);
  CHECK(next.status == 0);
  CHECK(next.out.find("positions 4..6") != std::string::npos);
}

TEST_CASE("recover writes the event files only the journal holds, and a missing manifest") {
  Fixture f;
  const std::string before = f.readAll();
  fs::remove(f.dir / "events" / "000000002.json");
  fs::remove(f.dir / "manifest.json");
  fs::remove(f.dir / "ledger.json");
  CliResult r = f.cli.run(f.args({"recover"}));
  CHECK(r.status == 0);
  CHECK(r.out.find("wrote 1 event file(s) from the journal") != std::string::npos);
  CHECK(r.out.find("wrote manifest.json") != std::string::npos);
  CHECK(fs::exists(f.dir / "events" / "000000002.json"));
  CHECK(f.readAll() == before);
}

TEST_CASE("recover moves a damaged event file aside and reports the loss") {
  Fixture f;
  f.clearJournal();
  writeWhole(f.dir / "events" / "000000003.json", "garbage");
  CliResult r = f.cli.run(f.args({"recover"}));
  CHECK(r.status == 4);
  CHECK(r.out.find("lost: no copy is left of committed position(s) 3") != std::string::npos);
  // Never deleted: the damaged file is kept in damaged/<time>/.
  bool kept = false;
  for (const auto& entry : fs::recursive_directory_iterator(f.dir / "damaged")) {
    if (entry.path().filename() == "000000003.json") kept = readWhole(entry.path()) == "garbage";
  }
  CHECK(kept);
  CliResult read = f.cli.run(f.args({"read"}));
  CHECK(read.status == 0);
  CHECK(f.cli.run(f.args({"verify"})).status == 0);
  CliResult next = f.cli.run(f.args({"append"}), kEvents);
  CHECK(next.out.find("positions 3..5") != std::string::npos);
}

TEST_CASE("recover changes nothing when events follow a lost one, unless told to truncate") {
  Fixture f;
  f.clearJournal();
  fs::remove(f.dir / "events" / "000000002.json");
  CliResult r = f.cli.run(f.args({"recover"}));
  CHECK(r.status == 4);
  CHECK(r.out.find("000000002.json") != std::string::npos);
  CHECK(r.out.find("--truncate") != std::string::npos);
  CHECK(r.out.find("nothing was changed") != std::string::npos);
  CHECK(fs::exists(f.dir / "events" / "000000003.json"));
  CHECK_FALSE(fs::exists(f.dir / "damaged"));

  CliResult t = f.cli.run(f.args({"recover", "--truncate"}));
  CHECK(t.status == 4);
  CHECK(t.out.find("lost: events 3 follow a missing position") != std::string::npos);
  CHECK_FALSE(fs::exists(f.dir / "events" / "000000003.json"));
  CHECK(f.cli.run(f.args({"verify"})).status == 0);
  CHECK(f.cli.run(f.args({"read"})).out.find("CartOpened") != std::string::npos);
}

TEST_CASE("recover rebuilds a deleted index, and a ledger restored from an older copy") {
  Fixture f;
  const std::string before = f.readAll();
  SECTION("index") { fs::remove_all(f.dir / "indices"); }
  SECTION("ledger") {
    const std::string ledger = readWhole(f.dir / "ledger.json");
    REQUIRE(f.cli.run(f.args({"append"}), kEvents).status == 0);
    writeWhole(f.dir / "ledger.json", ledger);
    f.clearJournal();
  }
  CHECK(f.cli.run(f.args({"verify"})).status == 4);
  CHECK(f.cli.run(f.args({"recover"})).status == 0);
  CHECK(f.readAll().substr(0, before.size()) == before);
  CHECK(f.cli.run(f.args({"verify"})).status == 0);
}

TEST_CASE("verify exits 4 for a damaged mark or manifest that stops the store") {
  Fixture f;
  SECTION("mark") {
    writeWhole(f.dir / "indices" / "positions" / "posted.mark", std::string(78, 'x'));
    CliResult r = f.cli.run(f.args({"verify"}));
    CHECK(r.status == 4);
    CHECK(r.out.find("posted.mark: damaged") != std::string::npos);
  }
  SECTION("manifest") {
    writeWhole(f.dir / "manifest.json", "{\"format\": garbage");
    CliResult r = f.cli.run(f.args({"verify"}));
    CHECK(r.status == 4);
    CHECK(r.out.find("manifest.json: store manifest") != std::string::npos);
    CHECK(r.out.find("(store): the store cannot be used") != std::string::npos);
  }
}

TEST_CASE("reindex of an empty store leaves an index") {
  TempDir tmp;
  Cli cli{tmp.path()};
  const std::string root = (tmp.path() / "data").string();
  // An import of nothing creates the store and appends nothing.
  CliResult created = cli.run({"import", "--root", root, "--store", "e"}, "");
  REQUIRE(created.status == 0);
  REQUIRE(fs::exists(tmp.path() / "data" / "e" / "ledger.json"));
  CliResult r = cli.run({"reindex", "--root", root, "--store", "e"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(fs::is_directory(tmp.path() / "data" / "e" / "indices"));
  CHECK_FALSE(fs::exists(tmp.path() / "data" / "e" / "indices.old"));
  CHECK(cli.run({"append", "--root", root, "--store", "e"}, kEvents).status == 0);
  CHECK(cli.run({"verify", "--root", root, "--store", "e"}).status == 0);
}
