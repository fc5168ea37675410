// `opossum verify` on clean and damaged stores, and `opossum reindex` repairing the index.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <string>

#include "cli_runner.hpp"
#include "ledger.hpp"
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
    R"({"eventType":"ItemAdded","event":{"sku":"A-1"},"tags":[{"key":"cart","value":"C1"},{"key":"sku","value":"A-1"}]})"
    "\n"
    R"({"eventType":"CartOpened","event":{"cart":"C2"},"tags":[{"key":"cart","value":"C2"}]})"
    "\n"
    R"({"eventType":"ItemAdded","event":{"sku":"B-2"},"tags":[{"key":"cart","value":"C2"},{"key":"sku","value":"B-2"}]})"
    "\n"
    R"({"eventType":"CheckedOut","event":{"cart":"C1"},"tags":[{"key":"cart","value":"C1"}]})"
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
  CliResult verify() { return cli.run(args({"verify"})); }
  void setLedgerPosition(int position) {
    auto files = opossum::sdk::posixFileSystem();
    auto ledger = opossum::plugins::file_storage::readLedger(*files, dir / "ledger.json");
    REQUIRE(ledger);
    ledger->position = static_cast<opossum::Position>(position);
    ledger->materialized = std::min(ledger->materialized, ledger->position);
    opossum::plugins::file_storage::writeLedger(*files, dir / "ledger.json", *ledger, false);
  }
  std::string problems(const CliResult& r) const {
    // Drops the summary line.
    return r.out.substr(0, r.out.rfind('\n', r.out.size() - 2) + 1);
  }
  std::string summary(int count) const {
    return std::to_string(count) + (count == 1 ? " problem" : " problems") + " found in " +
           dir.string() + "\n";
  }
};

// The tag-index list of cart=C1 (uppercase letters are percent-encoded, see index_tag/README.md).
const char* kCartC1 = "indices/tags/cart=%431.idx";

}  // namespace

TEST_CASE("verify on a clean store exits 0") {
  Fixture f;
  CliResult r = f.verify();
  CHECK(r.status == 0);
  CHECK(r.err == "");
  CHECK(r.out == "ok: 5 events; the store's records and indexes agree with its events\n");
  CliResult json = f.cli.run(f.args({"verify", "--json"}));
  CHECK(json.status == 0);
  CHECK(json.out == R"({"store":")" + f.dir.string() +
                        R"(","head":5,"eventsRead":5,"ok":true,"problems":[]})"
                        "\n");
}

TEST_CASE("verify reports a deleted event file") {
  Fixture f;
  fs::remove(f.dir / "events" / "000000003.json");
  CliResult r = f.verify();
  CHECK(r.status == 4);
  CHECK(r.out ==
        "events/000000003.json: position 3: missing (the ledger's head is 5, so it is "
        "committed)\n" +
            f.summary(1));
  CliResult json = f.cli.run(f.args({"verify", "--json"}));
  CHECK(json.status == 4);
  CHECK(
      json.out.find(
          R"("ok":false,"problems":[{"file":"events/000000003.json","position":3,"message":"missing)") !=
      std::string::npos);
}

TEST_CASE("verify reports a truncated event file") {
  Fixture f;
  fs::resize_file(f.dir / "events" / "000000002.json", 25);
  CliResult r = f.verify();
  CHECK(r.status == 4);
  CHECK(r.out.rfind("events/000000002.json: position 2: cannot be read: ", 0) == 0);
  CHECK(r.out.find('\n') == r.out.size() - f.summary(1).size() - 1);
  CHECK(r.out.substr(r.out.size() - f.summary(1).size()) == f.summary(1));
}

TEST_CASE("verify reports an event file that holds another position") {
  Fixture f;
  fs::copy_file(f.dir / "events" / "000000001.json", f.dir / "events" / "000000004.json",
                fs::copy_options::overwrite_existing);
  CliResult r = f.verify();
  CHECK(r.status == 4);
  CHECK(f.problems(r) == "events/000000004.json: position 4: holds position 1\n");
}

TEST_CASE("verify reports a garbled index file and reindex repairs it") {
  Fixture f;
  const fs::path list = f.dir / kCartC1;
  REQUIRE(readWhole(list) == "opossum-tag-index 2 tag \"cart\" \"C1\"\n1\n2\n5\n");

  SECTION("garbage inside the list") {
    writeWhole(list, "opossum-tag-index 2 tag \"cart\" \"C1\"\n1\nzz\n5\n");
    CliResult r = f.verify();
    CHECK(r.status == 4);
    CHECK(r.out.rfind(std::string(kCartC1) + ": index file '", 0) == 0);
    CHECK(r.out.find("is damaged") != std::string::npos);
    // Reading through the index fails too, with the same file named.
    CliResult read = f.cli.run(f.args({"read", "--tag", "cart=C1"}));
    CHECK(read.status == 1);
    CHECK(read.err.find("cart=%431.idx") != std::string::npos);
  }
  SECTION("an entry missing") {
    writeWhole(list, "opossum-tag-index 2 tag \"cart\" \"C1\"\n1\n5\n");
    CliResult r = f.verify();
    CHECK(r.status == 4);
    CHECK(f.problems(r) == std::string(kCartC1) + ": position 2: lacks positions 2\n");
  }
  SECTION("a foreign header") {
    writeWhole(list, "something else\n1\n2\n5\n");
    CHECK(f.verify().status == 4);
  }
  SECTION("a list file deleted, a stray one added, the positions file cut") {
    fs::remove(f.dir / "indices/event-types/%43hecked%4Fut.idx");
    writeWhole(f.dir / "indices/tags/ghost=x.idx", "opossum-tag-index 2 tag \"ghost\" \"x\"\n1\n");
    std::string positions = readWhole(f.dir / "indices/positions/positions.log");
    positions.resize(positions.rfind('\n', positions.size() - 2) + 1);
    writeWhole(f.dir / "indices/positions/positions.log", positions);
    CliResult r = f.verify();
    CHECK(r.status == 4);
    // The store refuses to answer without the lines of committed positions.
    CHECK(f.problems(r) ==
          "(store): the store cannot be used: index file '" +
              (f.dir / "indices/positions/positions.log").string() +
              "' ends at position 4, but position 5 is committed; the index must be rebuilt "
              "('opossum reindex')\n"
              "indices/positions/positions.log: position 5: ends at position 4, the committed "
              "head is 5\n"
              "indices/event-types/%43hecked%4Fut.idx: position 5: missing (should list 5)\n"
              "indices/tags/ghost=x.idx: no committed event has the type or tag of this list\n");
  }

  CliResult reindex = f.cli.run(f.args({"reindex"}));
  CHECK(reindex.status == 0);
  CHECK(reindex.out == "reindexed 5 events (3 event types, 4 tags)\n");
  // Only a warning that the store could not be opened before the rebuild, where it could not.
  INFO(reindex.err);
  CHECK((reindex.err.empty() ||
         (reindex.err.find("opening the store failed (") != std::string::npos &&
          reindex.err.find("reindexing anyway") != std::string::npos)));
  CliResult after = f.verify();
  CHECK(after.status == 0);
  CHECK(after.out == "ok: 5 events; the store's records and indexes agree with its events\n");
  CHECK(readWhole(list) == "opossum-tag-index 2 tag \"cart\" \"C1\"\n1\n2\n5\n");
  CHECK_FALSE(fs::exists(f.dir / "indices/tags/ghost=x.idx"));
  CliResult read = f.cli.run(f.args({"read", "--tag", "cart=C1", "--json"}));
  CHECK(read.status == 0);
  CHECK(read.out.find(R"({"position":5,"eventType":"CheckedOut")") != std::string::npos);
  // The store keeps working: the next append extends the rebuilt index.
  REQUIRE(f.cli
              .run(f.args({"append"}),
                   R"({"eventType":"CartOpened","event":{},"tags":[{"key":"cart","value":"C1"}]})"
                   "\n")
              .status == 0);
  CHECK(readWhole(list) == "opossum-tag-index 2 tag \"cart\" \"C1\"\n1\n2\n5\n6\n");
  CHECK(f.verify().status == 0);
}

TEST_CASE("reindex refuses a store with a missing event and leaves the index alone") {
  Fixture f;
  const std::string before = readWhole(f.dir / kCartC1);
  fs::remove(f.dir / "events" / "000000002.json");
  CliResult r = f.cli.run(f.args({"reindex"}));
  CHECK(r.status == 1);
  CHECK(r.err.find("000000002.json' is missing") != std::string::npos);
  CHECK(readWhole(f.dir / kCartC1) == before);
  CHECK_FALSE(fs::exists(f.dir / "indices.reindex"));
}

TEST_CASE("verify reports a ledger behind the events") {
  Fixture f;
  f.setLedgerPosition(3);
  CliResult r = f.verify();
  CHECK(r.status == 4);
  CHECK(
      f.problems(r) ==
      "(store): the store cannot be used: event file '" +
          (f.dir / "events/000000004.json").string() + "' exists after the head 3 of '" +
          (f.dir / "ledger.json").string() +
          "': the ledger is behind its events (replaced by an older copy?); nothing was "
          "changed; 'opossum recover' rebuilds what can be rebuilt from the journal and the "
          "event files\n"
          "events/000000004.json: position 4: event file after the ledger's head 3 (the "
          "ledger is behind, or an append never committed)\n"
          "events/000000005.json: position 5: event file after the ledger's head 3 (the ledger is "
          "behind, or an append never committed)\n"
          "indices/positions/posted.mark: position 5: says the lists are written up to position "
          "5, after the committed head 3\n"
          "indices/positions/positions.log: position 4: lists positions after the committed head 3 "
          "(from 4)\n"
          "indices/event-types/%49tem%41dded.idx: position 4: lists positions after the committed "
          "head 3: 4\n"
          "indices/tags/cart=%431.idx: position 5: lists positions after the committed head 3: 5\n"
          "indices/tags/cart=%432.idx: position 4: lists positions after the committed head 3: 4\n"
          "indices/event-types/%43hecked%4Fut.idx: no committed event has the type or tag of this "
          "list\n"
          "indices/tags/sku=%42-2.idx: no committed event has the type or tag of this list\n");
  CHECK(r.out.substr(r.out.size() - f.summary(10).size()) == f.summary(10));
}

TEST_CASE("verify reports a ledger ahead of the events") {
  Fixture f;
  f.setLedgerPosition(7);
  CliResult r = f.verify();
  CHECK(r.status == 4);
  CHECK(
      f.problems(r) ==
      "(store): the store cannot be used: index file '" +
          (f.dir / "indices/positions/positions.log").string() +
          "' ends at position 5, but position 7 is committed; the index must be rebuilt "
          "('opossum reindex')\n"
          "events/000000006.json: position 6: missing (the ledger's head is 7, so it is "
          "committed)\n"
          "events/000000007.json: position 7: missing (the ledger's head is 7, so it is "
          "committed)\n"
          "indices/positions/positions.log: position 6: ends at position 5, the committed head is "
          "7\n");
}

TEST_CASE("verify reports a missing ledger and stray files in the events folder") {
  Fixture f;
  writeWhole(f.dir / "events" / "notes.txt", "hello");
  fs::remove(f.dir / "ledger.json");
  // Events without a ledger: a damaged store, never taken for a missing one.
  CliResult gone = f.verify();
  CHECK(gone.status == 4);
  CHECK(gone.out.find("ledger.json: missing\n") != std::string::npos);
  writeWhole(f.dir / "ledger.json", "{garbled");
  CliResult r = f.verify();
  CHECK(r.status == 4);
  CHECK(f.problems(r) == "(store): the store cannot be used: ledger '" +
                             (f.dir / "ledger.json").string() +
                             "' is damaged: not a JSON object\n"
                             "ledger.json: ledger '" +
                             (f.dir / "ledger.json").string() +
                             "' is damaged: not a JSON object\n"
                             "events/notes.txt: unexpected file in the events folder\n");
}
