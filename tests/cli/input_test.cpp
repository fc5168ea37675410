// What the `opossum` tool does with bad input: numbers on the command line that are negative,
// too large or not numbers at all; NDJSON lines that cannot be events; an import that stops part
// of the way, and how it is resumed.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "temp_dir.hpp"

using opossum::test::Cli;
using opossum::test::CliResult;
using opossum::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string eventLine(int position, const std::string& type) {
  return R"({"position":)" + std::to_string(position) + R"(,"eventType":")" + type +
         R"(","event":{"n":)" + std::to_string(position) + R"(},"tags":[{"key":"n","value":")" +
         std::to_string(position) +
         R"("}],"metadata":{"timestamp":"2026-03-01T09:00:00.000000000Z"}})";
}

// An export of positions 1..count, one event per line.
std::string exportText(int count) {
  std::string text;
  for (int p = 1; p <= count; ++p) text += eventLine(p, "Counted") + "\n";
  return text;
}

struct Fixture {
  TempDir tmp;
  Cli cli{tmp.path()};
  std::string root = (tmp.path() / "data").string();

  std::vector<std::string> store(std::vector<std::string> args,
                                 const std::string& name = "s") const {
    std::vector<std::string> all{std::move(args.front()), "--root", root, "--store", name};
    all.insert(all.end(), args.begin() + 1, args.end());
    return all;
  }
  // The positions the store holds, as `read` prints them (first column); "" when there is no
  // store.
  std::string positions_or_none(const std::string& name = "s") {
    return fs::exists(fs::path(root) / name) ? positions(name) : "";
  }
  // The positions the store holds, as `read` prints them (first column).
  std::string positions(const std::string& name = "s") {
    CliResult r = cli.run(store({"read"}, name));
    REQUIRE(r.status == 0);
    std::string out;
    std::size_t at = 0;
    while (at < r.out.size()) {
      const std::size_t end = r.out.find('\n', at);
      out += (out.empty() ? "" : ",") + r.out.substr(at, r.out.find(' ', at) - at);
      at = end + 1;
    }
    return out;
  }
};

rapidjson::Document parseJson(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  return doc;
}

}  // namespace

TEST_CASE("numeric options refuse negatives, overflow and trailing garbage with a usage error") {
  Fixture f;
  REQUIRE(f.cli.run(f.store({"import"}), exportText(5)).status == 0);
  const std::string event = R"({"eventType":"A","event":{}})"
                            "\n";
  struct Case {
    std::vector<std::string> args;
    std::string option, value, why;
  };
  const std::string huge = "99999999999999999999999";
  const std::vector<Case> cases{
      {{"read", "--from", "-1"}, "--from", "-1", "negative"},
      {{"read", "--from", huge}, "--from", huge, "too large"},
      {{"read", "--from", "18446744073709551616"}, "--from", "18446744073709551616", "too large"},
      {{"read", "--from", "3x"}, "--from", "3x", "not a whole number"},
      {{"read", "--from", "0x10"}, "--from", "0x10", "not a whole number"},
      {{"read", "--from", " 3"}, "--from", " 3", "not a whole number"},
      {{"read", "--max", "-5"}, "--max", "-5", "negative"},
      {{"read", "--max", huge}, "--max", huge, "too large"},
      {{"read", "--max", "1e3"}, "--max", "1e3", "not a whole number"},
      {{"read", "--max", "+2"}, "--max", "+2", "not a whole number"},
      {{"append", "--after", "-1"}, "--after", "-1", "negative"},
      {{"append", "--after", huge}, "--after", huge, "too large"},
      {{"tail", "--from", "-1"}, "--from", "-1", "negative"},
      {{"tail", "--interval", "-1"}, "--interval", "-1", "negative"},
      {{"tail", "--interval", "5"}, "--interval", "5", "out of range"},
      {{"tail", "--interval", huge}, "--interval", huge, "too large"},
      {{"export", "--batch", "-1"}, "--batch", "-1", "negative"},
      {{"export", "--batch", "0"}, "--batch", "0", "out of range"},
      {{"import", "--batch", "-5"}, "--batch", "-5", "negative"},
      {{"import", "--batch", huge}, "--batch", huge, "too large"},
      {{"import", "--batch", "10k"}, "--batch", "10k", "not a whole number"},
  };
  for (const auto& c : cases) {
    INFO(c.args[0] << " " << c.args[1] << " " << c.args[2]);
    CliResult r = f.cli.run(f.store(c.args), event);
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err.rfind("opossum: " + c.option + " '" + c.value + "': " + c.why, 0) == 0);
    CHECK(r.err.find("(run with --help for usage)\n") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  // Nothing was appended by the refused appends, nor imported by the refused imports.
  CHECK(f.positions() == "1,2,3,4,5");

  SECTION("the projections commands' options too, before any store is opened") {
    for (const char* option : {"--batch-size", "--flush-interval"}) {
      INFO(option);
      CliResult negative = f.cli.run(f.store({"projections", "rebuild", "--all", option, "-1"}));
      CHECK(negative.status == 2);
      CHECK(negative.err.rfind(std::string("opossum: ") + option + " '-1': negative", 0) == 0);
      CliResult zero = f.cli.run(f.store({"projections", "rebuild", "--all", option, "0"}));
      CHECK(zero.status == 2);
      CHECK(zero.err.rfind(std::string("opossum: ") + option + " '0': out of range", 0) == 0);
    }
  }
  SECTION("the message says what is expected") {
    CliResult r = f.cli.run(f.store({"tail", "--interval", "5"}));
    CHECK(r.err ==
          "opossum: --interval '5': out of range; expected a whole number from 10 to 3600000 (run "
          "with --help for usage)\n");
    CliResult from = f.cli.run(f.store({"read", "--from", "-1"}));
    CHECK(from.err ==
          "opossum: --from '-1': negative; expected a whole number, 0 or more (run with --help "
          "for usage)\n");
  }
  SECTION("valid numbers still work, the largest one included") {
    CliResult r = f.cli.run(f.store({"read", "--from", "003", "--max", "1", "--json"}));
    CHECK(r.status == 0);
    CHECK(r.out == eventLine(4, "Counted") + "\n");
    CliResult none = f.cli.run(f.store({"read", "--from", "18446744073709551615"}));
    CHECK(none.status == 0);
    CHECK(none.out == "");
    CliResult after = f.cli.run(f.store({"append", "--after", "5", "--json"}), event);
    CHECK(after.status == 0);
    CHECK(after.out == "{\"count\":1,\"firstPosition\":6,\"lastPosition\":6}\n");
  }
}

TEST_CASE("a bad input line is named by input and line number, and says what is wrong") {
  Fixture f;
  const std::string good = R"({"eventType":"A","event":{}})";

  SECTION("append from standard input: a missing member") {
    CliResult r = f.cli.run(f.store({"append"}), good + "\n\n" + R"({"event":{}})" + "\n");
    CHECK(r.status == 1);
    CHECK(r.err ==
          "opossum: standard input, line 3: member 'eventType' is missing (at byte 11); nothing "
          "was appended\n");
  }
  SECTION("append from a file: not JSON") {
    opossum::test::writeWhole(f.tmp / "in.ndjson", good + "\n" + R"({"eventType":"A",)" + "\n");
    CliResult r = f.cli.run(f.store({"append", "--file", "in.ndjson"}));
    CHECK(r.status == 1);
    CHECK(r.err.rfind("opossum: input file 'in.ndjson', line 2: not valid JSON: ", 0) == 0);
    CHECK(r.err.find("event file") == std::string::npos);
  }
  SECTION("append: what append itself refuses is found on its line, not as 'event N'") {
    CliResult r = f.cli.run(f.store({"append"}),
                            good + "\n" + good + "\n" + R"({"eventType":"","event":{}})" + "\n");
    CHECK(r.status == 1);
    CHECK(r.err == "opossum: standard input, line 3: event type is empty; nothing was appended\n");
    CliResult tag = f.cli.run(
        f.store({"append"}),
        good + "\n" + R"({"eventType":"A","event":{},"tags":[{"key":"","value":"v"}]})" + "\n");
    CHECK(tag.status == 1);
    CHECK(tag.err == "opossum: standard input, line 2: tag 0 key is empty; nothing was appended\n");
  }
  SECTION("import: a wrong member type") {
    std::string text = exportText(2) + R"({"position":"3","eventType":"A","event":{}})" + "\n";
    CliResult r = f.cli.run(f.store({"import"}), text);
    CHECK(r.status == 1);
    CHECK(r.err.rfind("opossum: standard input, line 3: member 'position' must be an unsigned "
                      "integer, found a string",
                      0) == 0);
    CHECK(r.err.find("event file") == std::string::npos);
  }
  // The refused appends never opened the store, and the refused import wrote nothing.
  CHECK(f.positions_or_none() == "");
}

TEST_CASE("append --json reports a failure on stdout as well") {
  Fixture f;
  const std::string good = R"({"eventType":"A","event":{}})";
  CliResult bad = f.cli.run(f.store({"append", "--json"}), good + "\n" + good + "\n{}\n");
  CHECK(bad.status == 1);
  auto doc = parseJson(bad.out);
  CHECK(doc["count"].GetUint64() == 0);
  CHECK(doc["failedLine"].GetUint64() == 3);
  CHECK(std::string(doc["error"].GetString()) ==
        "standard input, line 3: member 'eventType' is missing (at byte 1); nothing was "
        "appended");
  CHECK(bad.err == "opossum: " + std::string(doc["error"].GetString()) + "\n");

  REQUIRE(f.cli.run(f.store({"append"}), good + "\n").status == 0);
  CliResult conflict = f.cli.run(f.store({"append", "--json", "--after", "0"}), good + "\n");
  CHECK(conflict.status == 3);
  auto conflictDoc = parseJson(conflict.out);
  CHECK(conflictDoc["count"].GetUint64() == 0);
  CHECK_FALSE(conflictDoc.HasMember("failedLine"));
  CHECK(std::string(conflictDoc["error"].GetString()).rfind("append condition failed", 0) == 0);
  CHECK(f.positions() == "1");
}

TEST_CASE("an import that stops part of the way says what it committed, and --resume goes on") {
  Fixture f;
  // Line 4 (position 4) has an empty event type, which only the append itself used to refuse.
  std::string broken;
  for (int p = 1; p <= 7; ++p) broken += eventLine(p, p == 4 ? "" : "Counted") + "\n";
  opossum::test::writeWhole(f.tmp / "broken.ndjson", broken);

  CliResult r = f.cli.run(f.store({"import", "-i", "broken.ndjson", "--batch", "2"}));
  CHECK(r.status == 1);
  CHECK(r.out == "");
  CHECK(r.err ==
        "opossum: input file 'broken.ndjson', line 4: event type is empty; import stopped: "
        "committed 2 events in 1 batch before that (input lines 1..2 at positions 1..2); fix the "
        "input and run the same import with --resume to continue after position 2\n");
  CHECK(f.positions() == "1,2");

  SECTION("--json gives the same report on stdout") {
    CliResult again =
        f.cli.run(f.store({"import", "-i", "broken.ndjson", "--batch", "2", "--json"}, "other"));
    CHECK(again.status == 1);
    auto doc = parseJson(again.out);
    CHECK(doc["imported"].GetUint64() == 2);
    CHECK(doc["batches"].GetUint64() == 1);
    CHECK(doc["skipped"].GetUint64() == 0);
    CHECK(doc["firstLine"].GetUint64() == 1);
    CHECK(doc["lastLine"].GetUint64() == 2);
    CHECK(doc["lastPosition"].GetUint64() == 2);
    CHECK_FALSE(doc["complete"].GetBool());
    CHECK(doc["failedLine"].GetUint64() == 4);
    CHECK(again.err == "opossum: " + std::string(doc["error"].GetString()) + "\n");
  }
  SECTION("a store that is not empty needs --resume, which skips what is there") {
    opossum::test::writeWhole(f.tmp / "fixed.ndjson", exportText(7));
    CliResult refused = f.cli.run(f.store({"import", "-i", "fixed.ndjson"}));
    CHECK(refused.status == 1);
    CHECK(refused.err.find("holds 2 events (--resume continues an import that stopped") !=
          std::string::npos);

    CliResult resumed =
        f.cli.run(f.store({"import", "-i", "fixed.ndjson", "--batch", "2", "--resume", "--json"}));
    CHECK(resumed.err == "");
    CHECK(resumed.status == 0);
    auto doc = parseJson(resumed.out);
    CHECK(doc["imported"].GetUint64() == 5);
    CHECK(doc["batches"].GetUint64() == 3);
    CHECK(doc["skipped"].GetUint64() == 2);
    CHECK(doc["firstLine"].GetUint64() == 3);
    CHECK(doc["lastLine"].GetUint64() == 7);
    CHECK(doc["lastPosition"].GetUint64() == 7);
    CHECK(doc["complete"].GetBool());
    CHECK(f.cli.run(f.store({"export"})).out == exportText(7));
  }
  SECTION("--resume refuses another input") {
    std::string other;
    for (int p = 1; p <= 3; ++p) other += eventLine(p, "Other") + "\n";
    CliResult wrong = f.cli.run(f.store({"import", "--resume"}), other);
    CHECK(wrong.status == 1);
    CHECK(wrong.err ==
          "opossum: standard input, line 2: --resume: position 2 differs from the store's event "
          "there (Counted in the store, Other in the input): not the input of the import that "
          "stopped; import stopped: nothing more was imported; '" +
              (fs::path(f.root) / "s").string() + "' still ends at position 2\n");
    CliResult shorter = f.cli.run(f.store({"import", "--resume"}), exportText(1));
    CHECK(shorter.status == 1);
    CHECK(shorter.err.find("standard input ends at position 1, before the store's head 2") !=
          std::string::npos);
    CHECK(f.positions() == "1,2");
  }
  SECTION("a failure in the first batch says nothing was imported") {
    CliResult first = f.cli.run(f.store({"import", "--batch", "5"}, "fresh"), broken);
    CHECK(first.status == 1);
    CHECK(first.err ==
          "opossum: standard input, line 4: event type is empty; import stopped: nothing was "
          "imported\n");
  }
}

TEST_CASE("a text import reports success with the resume point") {
  Fixture f;
  REQUIRE(f.cli.run(f.store({"import"}), exportText(3)).status == 0);
  CliResult resumed = f.cli.run(f.store({"import", "--resume"}), exportText(5));
  CHECK(resumed.status == 0);
  CHECK(resumed.out == "imported 2 events into " + (fs::path(f.root) / "s").string() +
                           " (resumed after position 3, where the store ended)\n");
  CHECK(f.positions() == "1,2,3,4,5");
}
