// Nesting depth limits (sdk::kMaxNestingDepth): trees nested deeper than the parsers' recursion
// can take are refused with a typed error before any parser recurses, wherever bytes from input
// or disk are parsed. Each deep case overflowed the stack (SIGSEGV) or was accepted before.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "cbor_serializer.hpp"
#include "json_serializer.hpp"
#include "ledger.hpp"
#include "opossum/config.hpp"
#include "opossum/errors.hpp"
#include "opossum/event_store.hpp"
#include "opossum/sdk/nesting.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using opossum::ConfigError;
using opossum::CorruptionError;
using opossum::InvalidArgumentError;
using opossum::SequencedEvent;
using opossum::sdk::kMaxNestingDepth;
using opossum::test::TempDir;

namespace {

// Far beyond what any stack takes when a parser recurses per level.
constexpr std::size_t kHostileDepth = 150'000;

// A payload object `depth` levels deep: {"a":[[...]]}.
std::string payloadOfDepth(std::size_t depth) {
  return "{\"a\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
}

SequencedEvent eventWith(std::string payload) {
  SequencedEvent event;
  event.position = 1;
  event.event.eventType = "Deep";
  event.event.event = std::move(payload);
  return event;
}

fs::path write(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

// A CBOR event file whose payload is {"a": [[...]]}, `depth` levels deep.
std::string cborFileOfDepth(std::size_t depth) {
  std::string bytes = std::string(opossum::plugins::cbor::kCborMagic);
  bytes += '\xa3';  // map of 3
  bytes += "\x68position\x01";
  bytes +=
      "\x69"
      "eventType\x64"
      "Deep";
  bytes +=
      "\x65"
      "event\xa1\x61"
      "a";
  bytes += std::string(depth - 2, '\x81');  // arrays of one element
  bytes += '\x80';                          // the innermost, empty
  return bytes;
}

}  // namespace

TEST_CASE("the nesting scan ignores brackets inside strings", "[nesting]") {
  using opossum::sdk::jsonNestsDeeperThan;
  CHECK_FALSE(jsonNestsDeeperThan(R"({"a":"[[[[\"[[["})", 1));
  CHECK(jsonNestsDeeperThan(R"({"a":{}})", 1));
  CHECK_FALSE(jsonNestsDeeperThan(R"({"a":{}})", 2));
  CHECK_FALSE(jsonNestsDeeperThan(R"({}{}{}[][])", 1));
}

TEST_CASE(
    "append refuses a payload nested too deeply, naming the event and the limit, and "
    "writes nothing",
    "[nesting]") {
  TempDir dir;
  opossum::test::usePluginDir();
  auto store = opossum::test::openStore(dir.path(), "deep");
  const auto before = opossum::test::snapshot(dir.path());
  for (std::size_t depth : {kMaxNestingDepth + 1, kHostileDepth}) {
    CAPTURE(depth);
    try {
      store->append({opossum::test::makeEvent("Flat"),
                     opossum::test::makeEvent("Deep", payloadOfDepth(depth))});
      FAIL("expected an InvalidArgumentError");
    } catch (const InvalidArgumentError& e) {
      CHECK_THAT(e.what(), Contains("event 1") && Contains("512"));
    }
  }
  CHECK(opossum::test::snapshot(dir.path()) == before);
  CHECK(store->read(opossum::Query::all()).empty());

  // The limit itself is accepted and reads back.
  const std::string deepest = payloadOfDepth(kMaxNestingDepth);
  store->append({opossum::test::makeEvent("Deep", deepest)});
  const auto events = store->read(opossum::Query::all());
  REQUIRE(events.size() == 1);
  CHECK(events[0].event.event == deepest);
}

TEST_CASE("the json serializer refuses payloads and files nested too deeply", "[nesting]") {
  opossum::plugins::json::JsonSerializer json;
  const std::string atLimit = json.serialize(eventWith(payloadOfDepth(kMaxNestingDepth)));
  CHECK(json.deserialize(atLimit).event.event == payloadOfDepth(kMaxNestingDepth));

  CHECK_THROWS_WITH(json.serialize(eventWith(payloadOfDepth(kMaxNestingDepth + 1))),
                    Contains("deeper than 512"));
  CHECK_THROWS_AS(json.serialize(eventWith(payloadOfDepth(kHostileDepth))), InvalidArgumentError);

  // A file one level deeper than anything written, and a hostile one.
  for (std::size_t depth : {kMaxNestingDepth + 1, kHostileDepth}) {
    const std::string file =
        R"({"position":1,"eventType":"Deep","event":)" + payloadOfDepth(depth) + "}";
    CHECK_THROWS_AS(json.deserialize(file), CorruptionError);
    CHECK_THROWS_WITH(json.deserialize(file), Contains("deeper than 512"));
  }
}

TEST_CASE("the cbor serializer refuses payloads and files nested too deeply", "[nesting]") {
  opossum::plugins::cbor::CborSerializer cbor;
  const std::string atLimit = cbor.serialize(eventWith(payloadOfDepth(kMaxNestingDepth)));
  CHECK(cbor.deserialize(atLimit).event.event == payloadOfDepth(kMaxNestingDepth));
  CHECK(cbor.deserialize(cborFileOfDepth(kMaxNestingDepth)).event.event ==
        payloadOfDepth(kMaxNestingDepth));

  CHECK_THROWS_WITH(cbor.serialize(eventWith(payloadOfDepth(kMaxNestingDepth + 1))),
                    Contains("deeper than 512"));
  CHECK_THROWS_AS(cbor.serialize(eventWith(payloadOfDepth(kHostileDepth))), InvalidArgumentError);

  for (std::size_t depth : {kMaxNestingDepth + 1, kHostileDepth}) {
    CHECK_THROWS_AS(cbor.deserialize(cborFileOfDepth(depth)), CorruptionError);
    CHECK_THROWS_WITH(cbor.deserialize(cborFileOfDepth(depth)), Contains("deeper than 512"));
  }
}

TEST_CASE("config files nested too deeply are ConfigErrors naming the file", "[nesting]") {
  TempDir dir;
  const std::string deep(200'000, '[');
  const fs::path json = write(dir / "deep.json", R"({"store":{"name":)" + deep);
  std::string xml = "<opossum>";
  for (int i = 0; i < 200'000; ++i) xml += "<a>";
  const fs::path xmlFile = write(dir / "deep.xml", xml);
  std::string section;
  for (int i = 0; i < 200'000; ++i) section += "a.";
  const fs::path ini = write(dir / "deep.ini", "[" + section + "b]\nkey=value\n");
  for (const fs::path& file : {json, xmlFile, ini}) {
    CAPTURE(file);
    CHECK_THROWS_AS(opossum::loadConfig(file), ConfigError);
    CHECK_THROWS_WITH(opossum::loadConfig(file),
                      Contains(file.string()) && Contains("deeper than 512"));
  }
}

TEST_CASE("XML comments and CDATA do not count as nesting", "[nesting]") {
  TempDir dir;
  std::string comments;
  for (int i = 0; i < 1000; ++i) comments += "<!-- <a> -->";
  const fs::path file =
      write(dir / "noisy.xml", "<?xml version=\"1.0\"?><!DOCTYPE opossum><opossum>" + comments +
                                   "<store><name><![CDATA[" + std::string(1000, '<') +
                                   "b>]]></name></store>" + comments + "</opossum>");
  CHECK(opossum::loadConfig(file).options.storeName == std::string(1000, '<') + "b>");
}

TEST_CASE("a ledger nested deeply is a CorruptionError, not a crash", "[nesting]") {
  using opossum::plugins::file_storage::parseLedger;
  const std::string text = "{\"format\":" + std::string(kHostileDepth, '[');
  CHECK_THROWS_AS(parseLedger(text, "ledger.json"), CorruptionError);
  CHECK_THROWS_WITH(parseLedger(text, "ledger.json"), Contains("ledger.json"));
}
