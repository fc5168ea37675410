// The "json" serializer linked directly: the serializer conformance suite plus the exact file
// format (opossum-json version 1).
#include <catch2/catch.hpp>
#include <chrono>
#include <limits>
#include <memory>
#include <string>

#include "json_serializer.hpp"
#include "opossum/errors.hpp"
#include "opossum/sdk/conformance/serializer_suite.hpp"

namespace {

using opossum::CorruptionError;
using opossum::SequencedEvent;
using opossum::Timestamp;
using opossum::plugins::json::formatTimestamp;
using opossum::plugins::json::JsonSerializer;
using opossum::plugins::json::parseTimestamp;

Timestamp at(std::int64_t nanos) {
  return Timestamp{
      std::chrono::duration_cast<Timestamp::duration>(std::chrono::nanoseconds{nanos})};
}

const std::string kEnvelopeTail = R"(,"tags":[],"metadata":{})";

std::string file(const std::string& members) { return "{" + members + "}"; }

}  // namespace

TEST_CASE("json serializer conforms", "[json]") {
  opossum::sdk::conformance::checkSerializerConformance(
      [] { return std::make_shared<JsonSerializer>(opossum::sdk::SerializerContext{}); });
}

TEST_CASE("json serializer describes its format", "[json]") {
  const JsonSerializer serializer;
  CHECK(serializer.formatName() == "opossum-json");
  CHECK(serializer.formatVersion() == 1);
  CHECK(serializer.fileExtension() == ".json");
}

TEST_CASE("json serializer refuses options", "[json]") {
  opossum::sdk::SerializerContext context;
  context.options = {{"indent", "2"}};
  REQUIRE_THROWS_AS(JsonSerializer(context), opossum::ConfigError);
  REQUIRE_THROWS_WITH(JsonSerializer(context), Catch::Contains("indent"));
}

TEST_CASE("json serializer writes the documented file text", "[json]") {
  SequencedEvent event;
  event.position = 12;
  event.event.eventType = "ItemAdded";
  event.event.event =
      "{ \"sku\" : \"A-1\",\n \"qty\": 2, \"price\": 1.50, \"big\": 1e300,"
      " \"name\": \"caf\\u00e9 \\\"x\\\"\" }";
  event.event.tags = {{"cart", "c1"}, {"empty", ""}};
  event.metadata.timestamp = at(1'796'000'523'123'456'789);
  event.metadata.correlationId = "corr";
  const std::string expected =
      R"({"position":12,"eventType":"ItemAdded","event":{"sku":"A-1","qty":2,"price":1.50,)"
      R"("big":1e300,"name":"café \"x\""},"tags":[{"key":"cart","value":"c1"},)"
      R"({"key":"empty","value":""}],"metadata":{"timestamp":"2026-11-30T01:02:03.123456789Z",)"
      R"("correlationId":"corr"}})"
      "\n";
  const JsonSerializer serializer;
  REQUIRE(serializer.serialize(event) == expected);

  const SequencedEvent back = serializer.deserialize(expected);
  // The payload comes back compact, with numbers spelled exactly as written.
  CHECK(back.event.event ==
        R"({"sku":"A-1","qty":2,"price":1.50,"big":1e300,"name":"café \"x\""})");
  CHECK(back.position == 12);
  CHECK(back.event.tags == event.event.tags);
  CHECK(back.metadata == event.metadata);
}

TEST_CASE("json serializer keeps the exact text of numbers", "[json]") {
  const JsonSerializer serializer;
  SequencedEvent event;
  event.position = 1;
  event.event.eventType = "N";
  event.event.event =
      R"({"a":18446744073709551615,"b":-9223372036854775808,"c":123456789012345678901234567890,)"
      R"("d":0.1,"e":-0.0,"f":1E+2,"g":2.50000000000000000001,"h":[1.0,5e-324]})";
  const SequencedEvent back = serializer.deserialize(serializer.serialize(event));
  REQUIRE(back.event.event == event.event.event);
}

TEST_CASE("json serializer reads files written by hand", "[json]") {
  const JsonSerializer serializer;
  SECTION("pretty-printed, members in another order, tags and metadata absent") {
    const SequencedEvent e = serializer.deserialize(
        "{\n  \"event\": { \"a\": [ 1, 2 ] },\n  \"eventType\": \"T\",\n  \"position\": 7\n}\n");
    CHECK(e.position == 7);
    CHECK(e.event.eventType == "T");
    CHECK(e.event.event == R"({"a":[1,2]})");
    CHECK(e.event.tags.empty());
    CHECK(e.metadata == opossum::Metadata{});
  }
  SECTION("timestamps with fewer fractional digits") {
    const SequencedEvent e = serializer.deserialize(
        file(R"("position":1,"eventType":"T","event":{},"metadata":{"timestamp":)"
             R"("2026-11-30T01:02:03.5Z"})"));
    REQUIRE(e.metadata.timestamp == at(1'796'000'523'500'000'000));
  }
}

TEST_CASE("json serializer names what is wrong in a damaged file", "[json]") {
  const JsonSerializer serializer;
  const std::string head = R"("position":1,"eventType":"T","event":{})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not valid JSON"},
      {"[]", "not a JSON object"},
      {file(R"("position":"1","eventType":"T","event":{})"), "position"},
      {file(R"("position":-1,"eventType":"T","event":{})"), "position"},
      {file(R"("position":1.5,"eventType":"T","event":{})"), "position"},
      {file(R"("position":18446744073709551616,"eventType":"T","event":{})"), "position"},
      {file(R"("eventType":"T","event":{})"), "'position' is missing"},
      {file(R"("position":1,"event":{})"), "'eventType' is missing"},
      {file(R"("position":1,"eventType":"T")"), "'event' is missing"},
      {file(R"("position":1,"eventType":5,"event":{})"), "eventType"},
      {file(R"("position":1,"eventType":"T","event":[])"), "'event' must be an object"},
      {file(R"("position":1,"eventType":"T","event":"{}")"), "'event' must be an object"},
      {file(head + R"(,"tags":{})"), "'tags' must be an array"},
      {file(head + R"(,"tags":[1])"), "tags[0] must be an object"},
      {file(head + R"(,"tags":[{"key":"k","value":"v"},{"key":"k"}])"),
       "'value' is missing in tags[1]"},
      {file(head + R"(,"tags":[{"key":"k","value":2}])"), "tags[0].value"},
      {file(head + R"(,"tags":[{"key":"k","value":"v","x":"y"}])"), "unknown member 'x'"},
      {file(head + R"(,"metadata":[])"), "'metadata' must be an object"},
      {file(head + R"(,"metadata":{"userId":null})"), "metadata"},
      {file(head + R"(,"metadata":{"who":"me"})"), "unknown member 'who'"},
      {file(head + R"(,"metadata":{"timestamp":"yesterday"})"), "timestamp"},
      {file(head + R"(,"metadata":{"timestamp":"2026-02-30T00:00:00Z"})"), "timestamp"},
      {file(head + R"(,"position":2)"), "'position' appears twice"},
      {file(head + R"(,"extra":true)"), "unknown member 'extra'"},
      {file(R"("position":1,"eventType":"\xff","event":{})"), "not valid JSON"},
      // Escaped lone low surrogates decode to bytes that are not UTF-8, anywhere in the file (the
      // reader itself refuses a high one without its pair).
      {file(R"("position":1,"eventType":"\udc00","event":{})"), "unpaired UTF-16 surrogate"},
      {file(head + R"(,"tags":[{"key":"k","value":"a\udc00"}])"), "unpaired UTF-16 surrogate"},
      {file(head + R"(,"metadata":{"userId":"\udfff"})"), "unpaired UTF-16 surrogate"},
      {file(R"("position":1,"eventType":"T","event":{"\udfffx":1})"), "unpaired UTF-16 surrogate"},
      {file(R"("position":1,"eventType":"T","event":{"a":["\udc00"]})"),
       "unpaired UTF-16 surrogate"},
      {file(head) + "\n" + std::string(1, '\0') + "x", "after the event object"},
      {file(head) + "{}", "not valid JSON"},
  };
  for (const auto& [bytes, message] : cases) {
    INFO("file: " << bytes);
    REQUIRE_THROWS_AS(serializer.deserialize(bytes), CorruptionError);
    REQUIRE_THROWS_WITH(serializer.deserialize(bytes), Catch::Contains(message));
  }
  // The control cases: the same envelope is fine, and so is an escaped surrogate pair.
  REQUIRE(serializer.deserialize(file(head + kEnvelopeTail)).position == 1);
  REQUIRE(serializer.deserialize(file(R"("position":1,"eventType":"\ud83d\ude00","event":{})"))
              .event.eventType == "\xf0\x9f\x98\x80");
}

TEST_CASE("json serializer refuses what it could not read back", "[json]") {
  const JsonSerializer serializer;
  SequencedEvent event;
  event.position = 1;
  event.event.eventType = "T";
  for (const char* payload : {"[1]", "", "{", "{} x", "{\"a\":tru}", "\"text\""}) {
    INFO("payload: " << payload);
    event.event.event = payload;
    REQUIRE_THROWS_AS(serializer.serialize(event), opossum::InvalidArgumentError);
  }
  event.event.event = "{}";
  event.event.tags = {{"k", "\xc3"}};
  REQUIRE_THROWS_AS(serializer.serialize(event), opossum::InvalidArgumentError);
  event.event.tags.clear();
  event.metadata.userId = "\xed\xa0\x80";  // a UTF-16 surrogate encoded as UTF-8
  REQUIRE_THROWS_AS(serializer.serialize(event), opossum::InvalidArgumentError);
}

TEST_CASE("json timestamps are UTC ISO-8601 with nanoseconds", "[json]") {
  CHECK(formatTimestamp(at(0)) == "1970-01-01T00:00:00.000000000Z");
  CHECK(formatTimestamp(at(-1)) == "1969-12-31T23:59:59.999999999Z");
  CHECK(formatTimestamp(at(1'796'000'523'123'456'789)) == "2026-11-30T01:02:03.123456789Z");
  CHECK(formatTimestamp(at(951'782'400'000'000'000)) == "2000-02-29T00:00:00.000000000Z");

  CHECK(parseTimestamp("2026-11-30T01:02:03Z") == at(1'796'000'523'000'000'000));
  CHECK(parseTimestamp("2026-11-30T01:02:03.1Z") == at(1'796'000'523'100'000'000));
  CHECK(parseTimestamp("2026-11-30T01:02:03.123Z") == at(1'796'000'523'123'000'000));
  CHECK(parseTimestamp("1969-12-31T23:59:59.999999999Z") == at(-1));

  for (Timestamp t : {Timestamp::min(), Timestamp::max(), at(-86'400'000'000'000),
                      at(-2'208'988'800'000'000'001)}) {
    INFO(formatTimestamp(t));
    CHECK(parseTimestamp(formatTimestamp(t)) == t);
  }

  for (const char* bad :
       {"", "2026-11-30", "2026-11-30T01:02:03", "2026-11-30T01:02:03.Z",
        "2026-11-30T01:02:03.1234567890Z", "2026-11-30T01:02:03+00:00", "2026-11-30t01:02:03Z",
        "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-30T24:00:00Z",
        "2026-11-30T00:60:00Z", "2026-11-30T00:00:60Z", "2026-11-30T01:02:03ZZ",
        "+026-11-30T01:02:03Z", "2026-11-30T01:02:03.12a4Z", "1600-01-01T00:00:00Z",
        "2300-01-01T00:00:00Z"}) {
    INFO("timestamp " << bad);
    CHECK_THROWS_AS(parseTimestamp(bad), CorruptionError);
  }
}
