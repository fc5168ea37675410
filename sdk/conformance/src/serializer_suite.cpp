#include "opossum/sdk/conformance/serializer_suite.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "json_compare.hpp"
#include "opossum/errors.hpp"

namespace opossum::sdk::conformance {

namespace {

using detail::jsonDifference;
using std::chrono::nanoseconds;

Timestamp at(std::int64_t nanosSinceEpoch) {
  return Timestamp{std::chrono::duration_cast<Timestamp::duration>(nanoseconds{nanosSinceEpoch})};
}

// 2026-11-30T01:02:03.123456789Z
const Timestamp kSampleTime = at(1'796'000'523'123'456'789);

SequencedEvent sampleEvent() {
  SequencedEvent e;
  e.position = 12;
  e.event.eventType = "ItemAdded";
  e.event.event = R"({"cartId":"c-1","sku":"SKU-42","quantity":3,"price":19.99,"gift":false,)"
                  R"("note":null,"lines":[1,2,{"x":"y"}]})";
  e.event.tags = {{"cartId", "c-1"}, {"sku", "SKU-42"}, {"empty", ""}};
  e.metadata.timestamp = kSampleTime;
  e.metadata.correlationId = "corr-1";
  e.metadata.causationId = "cause-1";
  e.metadata.operationId = "op-1";
  e.metadata.userId = "user-1";
  return e;
}

// "" when equal (payloads compared as JSON), else what differs.
std::string eventDifference(const SequencedEvent& expected, const SequencedEvent& actual) {
  if (expected.position != actual.position) {
    return "position: expected " + std::to_string(expected.position) + ", got " +
           std::to_string(actual.position);
  }
  if (expected.event.eventType != actual.event.eventType) {
    return "eventType: expected '" + expected.event.eventType + "', got '" +
           actual.event.eventType + "'";
  }
  if (expected.event.tags != actual.event.tags) {
    std::string text = "tags differ: got";
    for (const Tag& t : actual.event.tags) text += " {" + t.key + ":" + t.value + "}";
    return text;
  }
  const Metadata& em = expected.metadata;
  const Metadata& am = actual.metadata;
  if (em.timestamp != am.timestamp) {
    auto show = [](const std::optional<Timestamp>& t) {
      return t ? std::to_string(
                     std::chrono::duration_cast<nanoseconds>(t->time_since_epoch()).count()) +
                     " ns"
               : std::string("absent");
    };
    return "metadata.timestamp: expected " + show(em.timestamp) + ", got " + show(am.timestamp);
  }
  auto field = [](const char* name, const std::optional<std::string>& e,
                  const std::optional<std::string>& a) -> std::string {
    if (e == a) return "";
    return std::string("metadata.") + name + ": expected " + (e ? "'" + *e + "'" : "absent") +
           ", got " + (a ? "'" + *a + "'" : "absent");
  };
  for (std::string d : {field("correlationId", em.correlationId, am.correlationId),
                        field("causationId", em.causationId, am.causationId),
                        field("operationId", em.operationId, am.operationId),
                        field("userId", em.userId, am.userId)}) {
    if (!d.empty()) return d;
  }
  std::string payload = jsonDifference(expected.event.event, actual.event.event);
  return payload.empty() ? "" : "payload " + payload;
}

void requireRoundTrip(const Serializer& serializer, const SequencedEvent& event) {
  const std::string bytes = serializer.serialize(event);
  const SequencedEvent back = serializer.deserialize(bytes);
  REQUIRE(eventDifference(event, back) == "");
}

// Deserializing must throw CorruptionError, and nothing else.
void requireCorruption(const Serializer& serializer, std::string_view bytes,
                       const std::string& what) {
  INFO("input: " << what);
  bool corruption = false;
  try {
    (void)serializer.deserialize(bytes);
  } catch (const CorruptionError& e) {
    corruption = true;
    INFO("message: " << e.what());
    CHECK(std::string(e.what()).size() > 0);
  }
  REQUIRE(corruption);
}

std::string largePayload(std::size_t approximateBytes) {
  std::string text = R"({"items":[)";
  for (std::size_t i = 0; text.size() < approximateBytes; ++i) {
    if (i > 0) text += ',';
    text += R"({"id":)" + std::to_string(i) + R"(,"name":"item )" + std::to_string(i) +
            R"( \"quoted\" ü","price":)" + std::to_string(i) + ".25" + R"(,"tags":["a","b"]})";
  }
  return text + "]}";
}

std::string nestedPayload(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += i % 2 == 0 ? R"({"a":)" : "[";
  text += "1";
  for (int i = depth - 1; i >= 0; --i) text += i % 2 == 0 ? "}" : "]";
  return text;
}

}  // namespace

void checkSerializerConformance(const std::function<std::shared_ptr<Serializer>()>& make) {
  const std::shared_ptr<Serializer> created = make();
  REQUIRE(created != nullptr);
  const Serializer& serializer = *created;

  SECTION("describes its format") {
    CHECK_FALSE(serializer.formatName().empty());
    CHECK(serializer.formatVersion() >= 1);
    const std::string extension = serializer.fileExtension();
    REQUIRE(extension.size() >= 2);
    CHECK(extension[0] == '.');
    CHECK(extension.find('/') == std::string::npos);
    CHECK(extension.find('\\') == std::string::npos);
    // Every object of the plugin describes the same format.
    const std::shared_ptr<Serializer> other = make();
    CHECK(other->formatName() == serializer.formatName());
    CHECK(other->formatVersion() == serializer.formatVersion());
    CHECK(other->fileExtension() == extension);
  }

  SECTION("round-trips an event with every field") { requireRoundTrip(serializer, sampleEvent()); }

  SECTION("files written by one object are read by another") {
    const std::string bytes = serializer.serialize(sampleEvent());
    const std::shared_ptr<Serializer> reader = make();
    REQUIRE(eventDifference(sampleEvent(), reader->deserialize(bytes)) == "");
  }

  SECTION("serializing twice is stable") {
    const SequencedEvent once = serializer.deserialize(serializer.serialize(sampleEvent()));
    const SequencedEvent twice = serializer.deserialize(serializer.serialize(once));
    REQUIRE(eventDifference(sampleEvent(), twice) == "");
  }

  SECTION("absent metadata reads back absent") {
    SequencedEvent e = sampleEvent();
    e.metadata = Metadata{};
    const SequencedEvent back = serializer.deserialize(serializer.serialize(e));
    CHECK_FALSE(back.metadata.timestamp.has_value());
    CHECK_FALSE(back.metadata.correlationId.has_value());
    CHECK_FALSE(back.metadata.causationId.has_value());
    CHECK_FALSE(back.metadata.operationId.has_value());
    CHECK_FALSE(back.metadata.userId.has_value());
    REQUIRE(eventDifference(e, back) == "");
  }

  SECTION("each metadata field alone") {
    for (int which = 0; which < 5; ++which) {
      INFO("metadata field " << which);
      SequencedEvent e = sampleEvent();
      e.metadata = Metadata{};
      switch (which) {
        case 0:
          e.metadata.timestamp = kSampleTime;
          break;
        case 1:
          e.metadata.correlationId = "c";
          break;
        case 2:
          e.metadata.causationId = "c";
          break;
        case 3:
          e.metadata.operationId = "o";
          break;
        default:
          e.metadata.userId = "u";
          break;
      }
      requireRoundTrip(serializer, e);
    }
  }

  SECTION("empty metadata strings stay present") {
    SequencedEvent e = sampleEvent();
    e.metadata.correlationId = "";
    e.metadata.causationId = "";
    e.metadata.operationId = "";
    e.metadata.userId = "";
    const SequencedEvent back = serializer.deserialize(serializer.serialize(e));
    REQUIRE(back.metadata.correlationId.has_value());
    REQUIRE(back.metadata.userId.has_value());
    REQUIRE(eventDifference(e, back) == "");
  }

  SECTION("metadata strings with unicode and escapes") {
    SequencedEvent e = sampleEvent();
    e.metadata.correlationId = "quote \" backslash \\ slash / tab \t newline \n";
    e.metadata.userId = "josé 日本 🦫";
    requireRoundTrip(serializer, e);
  }

  SECTION("timestamps keep nanoseconds, before and after 1970") {
    const std::int64_t second = 1'000'000'000;
    const std::int64_t day = 86'400 * second;
    const std::vector<std::int64_t> instants = {
        0,
        1,
        -1,
        999'999'999,
        1'796'000'523'123'456'789,              // 2026-11-30T01:02:03.123456789Z
        1'709'164'800 * second + 1,             // 2024-02-29T00:00:00.000000001Z
        -day,                                   // 1969-12-31
        -2'208'988'800 * second + 500'000'000,  // 1900-01-01T00:00:00.5Z
        7'258'118'399 * second + 999'999'999,   // 2199-12-31T23:59:59.999999999Z
        -5'000'000'000 * second - 123'456'789,  // 1811
    };
    for (std::int64_t nanos : instants) {
      INFO("nanoseconds since 1970: " << nanos);
      SequencedEvent e = sampleEvent();
      e.metadata.timestamp = at(nanos);
      requireRoundTrip(serializer, e);
    }
  }

  SECTION("tags keep their order, empty values and special characters") {
    SequencedEvent e = sampleEvent();
    e.event.tags = {{"b", "2"},
                    {"a", "1"},
                    {"a", "0"},
                    {"b", ""},
                    {"Case", "x"},
                    {"case", "x"},
                    {"quote\"key", "back\\slash"},
                    {"ключ", "значение 🦫"},
                    {"sep:=/|,", "ctl \t\n\r\x01"},
                    {std::string(1024, 'k'), std::string(1024, 'v')}};
    requireRoundTrip(serializer, e);
  }

  SECTION("no tags") {
    SequencedEvent e = sampleEvent();
    e.event.tags.clear();
    requireRoundTrip(serializer, e);
  }

  SECTION("event types with unicode, escapes and the maximum length") {
    for (const std::string& type : {std::string("Ä"), std::string("Order \"Placed\"\\v2"),
                                    std::string(256, 'T'), std::string("注文が作成されました")}) {
      INFO("event type " << type);
      SequencedEvent e = sampleEvent();
      e.event.eventType = type;
      requireRoundTrip(serializer, e);
    }
  }

  SECTION("positions from 1 to the largest uint64") {
    for (Position p :
         {Position{1}, Position{9}, Position{10}, Position{1'000'000'000},
          Position{std::numeric_limits<std::uint32_t>::max()} + 1,
          std::numeric_limits<Position>::max() - 1, std::numeric_limits<Position>::max()}) {
      INFO("position " << p);
      SequencedEvent e = sampleEvent();
      e.position = p;
      requireRoundTrip(serializer, e);
    }
  }

  SECTION("payload: member order, nesting, empty containers") {
    for (const char* payload :
         {R"({})", R"({"z":1,"a":2,"m":3})", R"({"a":{},"b":[],"c":[[]],"d":{"e":{"f":[{}]}}})",
          R"({"arr":[1,"two",3.5,true,false,null,{"k":[{"deep":["er"]}]}]})",
          R"({"ключ":"значение","":"empty key","dup":"a","Dup":"b"})"}) {
      INFO("payload " << payload);
      SequencedEvent e = sampleEvent();
      e.event.event = payload;
      requireRoundTrip(serializer, e);
    }
  }

  SECTION("payload: numbers keep their value and integer or floating-point kind") {
    SequencedEvent e = sampleEvent();
    e.event.event =
        R"({"zero":0,"one":1,"neg":-1,"i32max":2147483647,"u32max":4294967295,)"
        R"("i64min":-9223372036854775808,"i64max":9223372036854775807,)"
        R"("u64max":18446744073709551615,"tenth":0.1,"third":0.3333333333333333,)"
        R"("big":1e300,"small":-2.5e-300,"onePointZero":1.0,"exp":1E+2,"negZero":-0.0,)"
        R"("pi":3.141592653589793,"maxDouble":1.7976931348623157e308,"minDouble":5e-324,)"
        R"("beyondUint64":123456789012345678901234567890,"list":[0,-0.5,7e-7,42]})";
    requireRoundTrip(serializer, e);
  }

  SECTION("payload: strings with escapes and unicode") {
    SequencedEvent e = sampleEvent();
    e.event.event =
        R"({"quote":"say \"hi\"","backslash":"a\\b","slash":"a/b and \/","controls":)"
        R"("\n\t\r\b\f\u0001\u001f","plain":"héllo wörld ✓ 日本語 🦫","escaped":)"
        R"("\u00e9\u2713\ud83e\udda6","empty":"","html":"<script>&amp;</script>",)"
        R"("key \"with\" quotes":"v"})";
    requireRoundTrip(serializer, e);
  }

  SECTION("payload: whitespace in the input does not matter") {
    SequencedEvent e = sampleEvent();
    e.event.event = "  {\n  \"a\" : [ 1 , 2 ] ,\r\n\t\"b\" : { \"c\" : \"d e\" }\n}\n";
    requireRoundTrip(serializer, e);
  }

  SECTION("payload: large") {
    SequencedEvent e = sampleEvent();
    e.event.event = largePayload(2 * 1024 * 1024);
    requireRoundTrip(serializer, e);
  }

  SECTION("payload: deep nesting") {
    SequencedEvent e = sampleEvent();
    e.event.event = nestedPayload(200);
    requireRoundTrip(serializer, e);
  }

  SECTION("deserialize reads only the bytes it is given") {
    const std::string bytes = serializer.serialize(sampleEvent());
    const std::string padded = bytes + "{\"trailing\":garbage]";
    REQUIRE(eventDifference(sampleEvent(), serializer.deserialize(std::string_view(padded).substr(
                                               0, bytes.size()))) == "");
  }

  SECTION("garbage is a CorruptionError") {
    const std::string valid = serializer.serialize(sampleEvent());
    std::string reversed(valid.rbegin(), valid.rend());
    const std::vector<std::pair<std::string, std::string>> inputs = {
        {"empty", ""},
        {"one space", " "},
        {"newline", "\n"},
        {"NUL bytes", std::string(8, '\0')},
        {"0xFF bytes", std::string(64, '\xff')},
        {"text", "this is not an event"},
        {"JSON null", "null"},
        {"JSON number", "42"},
        {"JSON string", "\"event\""},
        {"JSON array", "[1,2,3]"},
        {"empty JSON object", "{}"},
        {"unbalanced", "{{{{[[[["},
        {"deeply nested garbage", std::string(100000, '[')},
        {"reversed file", reversed},
        {"two events", valid + valid},
        {"event then NUL and garbage", valid + std::string(1, '\0') + "garbage"},
    };
    for (const auto& [what, bytes] : inputs) requireCorruption(serializer, bytes, what);
  }

  SECTION("truncated files are a CorruptionError") {
    const SequencedEvent e = sampleEvent();
    const std::string valid = serializer.serialize(e);
    for (std::size_t length = 0; length < valid.size(); ++length) {
      INFO("first " << length << " of " << valid.size() << " bytes");
      // A prefix may only be accepted when it is the whole event (e.g. without a final newline).
      try {
        const SequencedEvent back =
            serializer.deserialize(std::string_view(valid).substr(0, length));
        REQUIRE(eventDifference(e, back) == "");
      } catch (const CorruptionError&) {
      }
    }
  }

  SECTION("garbled files are read or refused with CorruptionError, never anything else") {
    const std::string valid = serializer.serialize(sampleEvent());
    const char replacements[] = {'\0', '\xff', '\x80', '"', '\\', '{', '}', '[',
                                 ']',  ',',    ':',    '0', '-',  'e', ' ', 'x'};
    std::size_t refused = 0;
    for (std::size_t i = 0; i < valid.size(); ++i) {
      for (char replacement : replacements) {
        if (valid[i] == replacement) continue;
        std::string garbled = valid;
        garbled[i] = replacement;
        try {
          (void)serializer.deserialize(garbled);
        } catch (const CorruptionError&) {
          ++refused;
        } catch (const std::exception& e) {
          FAIL("byte " << i << " set to " << int(replacement) << ": threw " << e.what()
                       << " instead of CorruptionError");
        }
      }
    }
    // Most damage must be noticed.
    CHECK(refused > 0);
  }

  SECTION("random bytes are refused with CorruptionError, never anything else") {
    std::mt19937 random(20261130);
    std::uniform_int_distribution<int> byte(0, 255), length(0, 512);
    for (int round = 0; round < 500; ++round) {
      std::string bytes(static_cast<std::size_t>(length(random)), '\0');
      for (char& c : bytes) c = static_cast<char>(byte(random));
      requireCorruption(serializer, bytes, "random bytes, round " + std::to_string(round));
    }
  }

  SECTION("one object serves several threads at once") {
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 200; ++i) {
          try {
            SequencedEvent e = sampleEvent();
            e.position = static_cast<Position>(t * 1000 + i + 1);
            e.event.tags.push_back({"thread", std::to_string(t)});
            if (!eventDifference(e, serializer.deserialize(serializer.serialize(e))).empty()) {
              ++failures;
            }
          } catch (...) {
            ++failures;
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    REQUIRE(failures == 0);
  }
}

}  // namespace opossum::sdk::conformance
