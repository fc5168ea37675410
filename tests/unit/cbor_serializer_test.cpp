// The "cbor" serializer linked directly: the serializer conformance suite plus the exact file
// format (opossum-cbor version 1), written and read here with an independent CBOR encoder.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cbor_serializer.hpp"
#include "json_serializer.hpp"
#include "opossum/errors.hpp"
#include "opossum/sdk/conformance/serializer_suite.hpp"

namespace {

using namespace std::string_literals;
using opossum::CorruptionError;
using opossum::InvalidArgumentError;
using opossum::SequencedEvent;
using opossum::Timestamp;
using opossum::plugins::cbor::CborSerializer;

Timestamp at(std::int64_t nanos) {
  return Timestamp{
      std::chrono::duration_cast<Timestamp::duration>(std::chrono::nanoseconds{nanos})};
}

std::string hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out += digits[u >> 4];
    out += digits[u & 15];
  }
  return out;
}

// A minimal CBOR writer, independent of the one under test.
std::string head(int major, std::uint64_t value) {
  std::string out;
  const auto m = static_cast<char>(major << 5);
  auto bigEndian = [&](int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xff);
  };
  if (value < 24) {
    out += static_cast<char>(m | static_cast<char>(value));
  } else if (value <= 0xff) {
    out += static_cast<char>(m | 24);
    bigEndian(1);
  } else if (value <= 0xffff) {
    out += static_cast<char>(m | 25);
    bigEndian(2);
  } else if (value <= 0xffffffff) {
    out += static_cast<char>(m | 26);
    bigEndian(4);
  } else {
    out += static_cast<char>(m | 27);
    bigEndian(8);
  }
  return out;
}
std::string text(std::string_view s) { return head(3, s.size()) + std::string(s); }
std::string map(std::size_t n) { return head(5, n); }
std::string array(std::size_t n) { return head(4, n); }
std::string cborUint(std::uint64_t v) { return head(0, v); }
std::string byteString(std::string_view s) { return head(2, s.size()) + std::string(s); }
std::string float64(double d) {
  std::uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  std::string out(1, '\xfb');
  for (int i = 7; i >= 0; --i) out += static_cast<char>((bits >> (8 * i)) & 0xff);
  return out;
}
const std::string kMagic = "\xd9\xd9\xf7";

// A file with the given payload (CBOR of a map) and no tags or metadata.
std::string fileWithPayload(const std::string& payload) {
  return kMagic + map(5) + text("position") + cborUint(1) + text("eventType") + text("T") +
         text("event") + payload + text("tags") + array(0) + text("metadata") + map(0);
}

SequencedEvent withPayload(std::string payload) {
  SequencedEvent e;
  e.position = 1;
  e.event.eventType = "T";
  e.event.event = std::move(payload);
  return e;
}

// The payload as it reads back after a round trip.
std::string roundTrip(const std::string& payload) {
  const CborSerializer serializer;
  return serializer.deserialize(serializer.serialize(withPayload(payload))).event.event;
}

bool isJson(const std::string& text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(),
                                                                                  text.size());
  return !d.HasParseError() && d.IsObject();
}

}  // namespace

TEST_CASE("cbor serializer conforms", "[cbor]") {
  opossum::sdk::conformance::checkSerializerConformance(
      [] { return std::make_shared<CborSerializer>(opossum::sdk::SerializerContext{}); });
}

TEST_CASE("cbor serializer describes its format", "[cbor]") {
  const CborSerializer serializer;
  CHECK(serializer.formatName() == "opossum-cbor");
  CHECK(serializer.formatVersion() == 1);
  CHECK(serializer.fileExtension() == ".cbor");
}

TEST_CASE("cbor serializer refuses options", "[cbor]") {
  opossum::sdk::SerializerContext context;
  context.options = {{"canonical", "true"}};
  REQUIRE_THROWS_AS(CborSerializer(context), opossum::ConfigError);
  REQUIRE_THROWS_WITH(CborSerializer(context), Catch::Contains("canonical"));
}

TEST_CASE("cbor serializer writes the documented bytes", "[cbor]") {
  SequencedEvent event;
  event.position = 12;
  event.event.eventType = "T";
  event.event.event = R"({ "a" : 1, "b": [true, null, -2, 1.50] })";
  event.event.tags = {{"k", "v"}};
  event.metadata.timestamp = at(1'796'000'523'123'456'789);
  event.metadata.correlationId = "c";
  const std::string expected =
      kMagic + map(5) + text("position") + cborUint(12) + text("eventType") + text("T") +
      text("event") + map(2) + text("a") + cborUint(1) + text("b") + array(4) + "\xf5\xf6\x21" +
      float64(1.5) + text("tags") + array(1) + array(2) + text("k") + text("v") + text("metadata") +
      map(2) + text("timestamp") + cborUint(1'796'000'523'123'456'789) + text("correlationId") +
      text("c");
  // Also spelled out, so the test does not rest on its own encoder alone.
  REQUIRE(hex(expected) ==
          "d9d9f7a568706f736974696f6e0c696576656e74547970656154656576656e74a2616101616284f5f621fb"
          "3ff800000000000064746167738182616b6176686d65746164617461a26974696d657374616d701b18ecac"
          "f5cd307b156d636f7272656c6174696f6e49646163");
  const CborSerializer serializer;
  REQUIRE(hex(serializer.serialize(event)) == hex(expected));

  const SequencedEvent back = serializer.deserialize(expected);
  CHECK(back.position == 12);
  CHECK(back.event.eventType == "T");
  CHECK(back.event.event == R"({"a":1,"b":[true,null,-2,1.5]})");
  CHECK(back.event.tags == event.event.tags);
  CHECK(back.metadata == event.metadata);
}

TEST_CASE("cbor serializer: container heads wider than one byte", "[cbor]") {
  // 24 members and more need a wider head, patched in after the members are written.
  for (int count : {23, 24, 255, 256, 70000}) {
    INFO(count << " members");
    std::string payload = "{";
    std::string list = "[";
    for (int i = 0; i < count; ++i) {
      payload += (i ? ",\"" : "\"") + std::to_string(i) + "\":" + std::to_string(i);
      list += (i ? "," : "") + std::to_string(i);
    }
    payload += ",\"list\":" + list + "]}";
    CHECK(roundTrip(payload) == payload);
  }
}

TEST_CASE("cbor serializer: numbers keep their kind and value", "[cbor]") {
  struct Case {
    const char* in;
    const char* out;
  };
  for (const Case& c : std::vector<Case>{
           {"0", "0"},
           {"-0", "0"},  // the integer -0 is 0
           {"23", "23"},
           {"-24", "-24"},
           {"4294967296", "4294967296"},
           {"9223372036854775807", "9223372036854775807"},
           {"-9223372036854775808", "-9223372036854775808"},
           {"18446744073709551615", "18446744073709551615"},
           {"-18446744073709551615", "-18446744073709551615"},
           {"-18446744073709551616", "-18446744073709551616"},  // -2^64: still major type 1
           {"18446744073709551616", "18446744073709551616"},    // bignum
           {"-18446744073709551617", "-18446744073709551617"},  // bignum
           {"123456789012345678901234567890", "123456789012345678901234567890"},
           {"-123456789012345678901234567890", "-123456789012345678901234567890"},
           {"1.0", "1.0"},
           {"1.50", "1.5"},
           {"-0.0", "-0.0"},
           {"0.1", "0.1"},
           {"1E+2", "100.0"},
           {"1e300", "1e+300"},
           {"2.5e-7", "2.5e-07"},
           {"3.141592653589793", "3.141592653589793"},
           {"1.7976931348623157e308", "1.7976931348623157e+308"},
           {"5e-324", "5e-324"},
           {"1e-400", "0.0"},  // underflows to zero, as in every JSON reader
           {"-1e-400", "-0.0"},
           {"0.000000000000000000000000000001e-400", "0.0"},
           {"100000000000000000000000e-20", "1000.0"},
       }) {
    INFO("number " << c.in);
    CHECK(roundTrip(std::string("{\"n\":") + c.in + "}") == std::string("{\"n\":") + c.out + "}");
  }
  // A 1,024-bit integer is the largest kept; the kernel refuses even smaller ones (larger than
  // a double), so only direct callers meet this limit.
  std::string big(2467, '9');
  CHECK_THROWS_AS(roundTrip("{\"n\":" + big + "}"), InvalidArgumentError);
  big = "1" + std::string(300, '0');
  CHECK(roundTrip("{\"n\":" + big + "}") == "{\"n\":" + big + "}");
  for (const char* tooLarge : {"1e309", "-1.8e308", "0.1e310", "123456789e305"}) {
    INFO("number " << tooLarge);
    CHECK_THROWS_AS(roundTrip(std::string("{\"n\":") + tooLarge + "}"), InvalidArgumentError);
  }
}

TEST_CASE("cbor serializer: numbers are written compactly", "[cbor]") {
  const CborSerializer serializer;
  auto payloadBytes = [&](const std::string& number) {
    const std::string file = serializer.serialize(withPayload("{\"n\":" + number + "}"));
    const std::string prefix = kMagic + map(5) + text("position") + cborUint(1) +
                               text("eventType") + text("T") + text("event") + map(1) + text("n");
    REQUIRE(file.substr(0, prefix.size()) == prefix);
    const std::size_t end = file.find(text("tags"), prefix.size());
    return hex(file.substr(prefix.size(), end - prefix.size()));
  };
  CHECK(payloadBytes("0") == "00");
  CHECK(payloadBytes("-1") == "20");
  CHECK(payloadBytes("500") == "1901f4");
  CHECK(payloadBytes("-500") == "3901f3");
  CHECK(payloadBytes("18446744073709551615") == "1bffffffffffffffff");
  CHECK(payloadBytes("-18446744073709551616") == "3bffffffffffffffff");
  CHECK(payloadBytes("18446744073709551616") == "c249010000000000000000");
  CHECK(payloadBytes("-18446744073709551617") == "c349010000000000000000");
  CHECK(payloadBytes("1.0") == "fb3ff0000000000000");
}

TEST_CASE("cbor serializer: strings come back as JSON with the escapes JSON needs", "[cbor]") {
  CHECK(
      roundTrip(
          R"({"q":"say \"hi\"\\","c":"\n\t\u0001\u001f\u007f","u":"\u00e9 ✓ 🦫 \ud83e\udda6",)"
          R"("s":"a\/b","":""})") ==
      "{\"q\":\"say \\\"hi\\\"\\\\\",\"c\":\"\\n\\t\\u0001\\u001F\x7f\",\"u\":\"é ✓ 🦫 🦦\","
      "\"s\":\"a/b\",\"\":\"\"}");
  // An escaped NUL is a character of a JSON string like any other.
  CHECK(roundTrip(R"({"nul":"a\u0000b"})") == R"({"nul":"a\u0000b"})");
}

TEST_CASE("cbor serializer refuses what it could not read back", "[cbor]") {
  const CborSerializer serializer;
  SequencedEvent event = withPayload("{}");
  for (const char* payload : {"[1]", "", "  ", "{", "{} x", "{}{}", "{\"a\":tru}", "\"text\"",
                              "{\"a\":\"\\udc00\"}", "{\"\\udfff\":1}"}) {
    INFO("payload: " << payload);
    event.event.event = payload;
    REQUIRE_THROWS_AS(serializer.serialize(event), InvalidArgumentError);
  }
  event.event.event = "{}";
  event.event.tags = {{"k", "\xc3"}};
  REQUIRE_THROWS_AS(serializer.serialize(event), InvalidArgumentError);
  event.event.tags.clear();
  event.event.eventType = "\xff";
  REQUIRE_THROWS_AS(serializer.serialize(event), InvalidArgumentError);
  event.event.eventType = "T";
  event.metadata.userId = "\xed\xa0\x80";  // a UTF-16 surrogate encoded as UTF-8
  REQUIRE_THROWS_AS(serializer.serialize(event), InvalidArgumentError);
}

TEST_CASE("cbor serializer reads what other CBOR writers may produce", "[cbor]") {
  const CborSerializer serializer;
  SECTION("members in another order, tags and metadata absent") {
    const SequencedEvent e =
        serializer.deserialize(kMagic + map(3) + text("event") + map(0) + text("eventType") +
                               text("T") + text("position") + cborUint(7));
    CHECK(e.position == 7);
    CHECK(e.event.eventType == "T");
    CHECK(e.event.event == "{}");
    CHECK(e.event.tags.empty());
    CHECK(e.metadata == opossum::Metadata{});
  }
  SECTION("integers in wider heads than needed") {
    const SequencedEvent e = serializer.deserialize(
        kMagic + map(3) + text("position") + std::string("\x1b\0\0\0\0\0\0\0\x05", 9) +
        text("eventType") + text("T") + text("event") + map(1) + text("n") +
        std::string("\x19\x00\x01", 3));
    CHECK(e.position == 5);
    CHECK(e.event.event == R"({"n":1})");
  }
  SECTION("half and single precision floats") {
    CHECK(serializer
              .deserialize(fileWithPayload(map(2) + text("h") + "\xf9\x3e\x00"s + text("s") +
                                           "\xfa\x3f\xc0\x00\x00"s))
              .event.event == R"({"h":1.5,"s":1.5})");
  }
  SECTION("bignums with leading zeros, or small enough for an integer") {
    CHECK(serializer
              .deserialize(fileWithPayload(
                  map(3) + text("a") + "\xc2" + byteString(std::string("\0\0\x01", 3)) + text("b") +
                  "\xc3" + byteString("") + text("c") + "\xc2" + byteString("")))
              .event.event == R"({"a":1,"b":-1,"c":0})");
  }
  SECTION("negative timestamps") {
    const SequencedEvent e = serializer.deserialize(
        kMagic + map(4) + text("position") + cborUint(1) + text("eventType") + text("T") +
        text("event") + map(0) + text("metadata") + map(1) + text("timestamp") +
        head(1, 999'999'999));
    CHECK(e.metadata.timestamp == at(-1'000'000'000));
  }
}

TEST_CASE("cbor serializer names what is wrong in a damaged file", "[cbor]") {
  const CborSerializer serializer;
  const std::string start = kMagic + map(3) + text("position") + cborUint(1) + text("eventType") +
                            text("T") + text("event");
  auto withTail = [&](const std::string& tail) {
    return kMagic + map(4) + text("position") + cborUint(1) + text("eventType") + text("T") +
           text("event") + map(0) + tail;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "ends before"},
      {"{\"position\":1}", "ends in the middle"},  // JSON text: a long CBOR text string
      {map(0), "self-described"},
      {kMagic, "ends before"},
      {kMagic + array(0), "must be a CBOR map"},
      {kMagic + kMagic, "must be a CBOR map"},
      {kMagic + map(0), "'position' is missing"},
      {kMagic + map(1) + cborUint(1) + cborUint(1), "keys of the event map"},
      {start + "\xbf\xff", "indefinite-length"},
      {start + map(1) + "\x7f\x61x\xff" + cborUint(1), "indefinite-length"},
      {start + array(0), "'event' must be a map"},
      {start + map(1) + cborUint(1) + cborUint(1), "keys of payload maps"},
      {start + map(1) + text("a") + byteString("x"), "unsupported item"},
      {start + map(1) + text("a") + "\xf7", "unsupported item"},  // undefined
      {start + map(1) + text("a") + "\xc1" + cborUint(1), "unsupported tag 1"},
      {start + map(1) + text("a") + "\xc2" + cborUint(1), "bignum tag must enclose a byte string"},
      {start + map(1) + text("a") + "\xc2" + byteString(std::string(1025, '\1')), "bignum"},
      {start + map(1) + text("a") + "\xfb\x7f\xf8\0\0\0\0\0\0"s, "NaN or infinite"},
      {start + map(1) + text("a") + "\xf9\x7c\x00"s, "NaN or infinite"},
      {start + map(1) + text("a") + text("\xff"), "not valid UTF-8"},
      {start + map(1) + text("\xc0\xaf") + cborUint(1), "not valid UTF-8"},
      {start + map(1) + text("a") + "\xf0", "malformed"},  // unassigned simple value
      {start + map(1) + text("a") + "\x1c", "malformed"},  // reserved additional information
      {start + map(2) + text("a") + cborUint(1), "ends before"},
      {start + map(1) + text("a") + text("abc").substr(0, 3), "ends in the middle"},
      {start + map(1) + text("a") + "\x7b\xff\xff\xff\xff\xff\xff\xff\xff", "ends in the middle"},
      {start + map(1) + text("a") + "\x5b\xff\xff\xff\xff\xff\xff\xff\xf0", "ends in the middle"},
      {start + map(1) + text("a") + "\x9b\xff\xff\xff\xff\xff\xff\xff\xff", "ends before"},
      {start + "\xbb\xff\xff\xff\xff\xff\xff\xff\xff", "ends before"},
      {kMagic + map(3) + text("position") + head(1, 0) + text("eventType") + text("T") +
           text("event") + map(0),
       "'position' must be an unsigned integer"},
      {kMagic + map(3) + text("position") + float64(1) + text("eventType") + text("T") +
           text("event") + map(0),
       "'position' must be an unsigned integer"},
      {kMagic + map(3) + text("position") + cborUint(1) + text("eventType") + byteString("T") +
           text("event") + map(0),
       "'eventType' must be a text string"},
      {kMagic + map(4) + text("position") + cborUint(1) + text("position") + cborUint(2),
       "'position' appears twice"},
      {kMagic + map(4) + text("position") + cborUint(1) + text("extra") + cborUint(2),
       "unknown member"},
      {kMagic + map(3) + text("position") + cborUint(1) + text("eventType") + text("\xe2\x82") +
           text("event") + map(0),
       "not valid UTF-8"},
      {withTail(text("tags") + map(0)), "'tags' must be an array"},
      {withTail(text("tags") + array(1) + text("k")), "tags[0] must be an array of two"},
      {withTail(text("tags") + array(1) + array(3)), "tags[0] must be an array of two"},
      {withTail(text("tags") + array(2) + array(2) + text("k") + text("v") + array(2) + text("k") +
                cborUint(1)),
       "tags[1] value must be a text string"},
      {withTail(text("metadata") + array(0)), "'metadata' must be a map"},
      {withTail(text("metadata") + map(1) + text("who") + text("me")), "unknown member 'who'"},
      {withTail(text("metadata") + map(1) + text("userId") + head(7, 22)), "must be text"},
      {withTail(text("metadata") + map(1) + text("timestamp") + text("2026-01-01T00:00:00Z")),
       "'timestamp' must be an integer"},
      {withTail(text("metadata") + map(1) + text("timestamp") + cborUint(1ULL << 63)),
       "'timestamp' must be an integer"},
      {withTail(text("metadata") + map(1) + text("timestamp") + head(1, 1ULL << 63)),
       "'timestamp' must be an integer"},
      {withTail(text("metadata") + map(2) + text("userId") + text("a") + text("userId") +
                text("b")),
       "'userId' appears twice"},
      {fileWithPayload(map(0)) + cborUint(0), "unexpected data after the event"},
      {fileWithPayload(map(0)) + std::string(1, '\0'), "unexpected data after the event"},
  };
  for (const auto& [bytes, message] : cases) {
    INFO("file: " << hex(bytes));
    REQUIRE_THROWS_AS(serializer.deserialize(bytes), CorruptionError);
    REQUIRE_THROWS_WITH(serializer.deserialize(bytes), Catch::Contains(message));
    REQUIRE_THROWS_WITH(serializer.deserialize(bytes), Catch::Contains("at byte"));
  }
  // The control case: the same envelope is fine.
  REQUIRE(serializer.deserialize(fileWithPayload(map(0))).position == 1);
}

TEST_CASE("cbor serializer refuses deeply nested payloads without recursion", "[cbor]") {
  const CborSerializer serializer;
  constexpr int kDepth = 200000;
  std::string payload = map(1) + text("a");
  for (int i = 0; i < kDepth; ++i) payload += array(1);
  payload += cborUint(1);
  CHECK_THROWS_WITH(serializer.deserialize(fileWithPayload(payload)),
                    Catch::Contains("deeper than 512 levels"));
  // Truncated just as deep: an error, not a crash.
  std::string truncated = fileWithPayload(payload);
  truncated.resize(truncated.size() - 40);
  CHECK_THROWS_AS(serializer.deserialize(truncated), CorruptionError);
}

TEST_CASE("cbor serializer survives random damage to its files", "[cbor]") {
  const CborSerializer serializer;
  SequencedEvent event;
  event.position = 123456;
  event.event.eventType = "OrderPlaced";
  event.event.event =
      R"({"id":"o-1","lines":[{"sku":"A","qty":2,"price":1.5},{"sku":"ü","qty":-3,"x":null}],)"
      R"("big":123456789012345678901234567890,"flags":[true,false],"nested":{"a":{"b":[[]]}}})";
  event.event.tags = {{"order", "o-1"}, {"customer", "c-9"}};
  event.metadata.timestamp = at(1'796'000'523'123'456'789);
  event.metadata.userId = "u";
  const std::string valid = serializer.serialize(event);

  std::mt19937 random(4711);
  std::uniform_int_distribution<int> byte(0, 255);
  std::size_t accepted = 0, refused = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string damaged = valid;
    const int edits = 1 + round % 4;
    for (int i = 0; i < edits; ++i) {
      std::uniform_int_distribution<std::size_t> where(0, damaged.size() - 1);
      const std::size_t at = where(random);
      switch (byte(random) % 4) {
        case 0:
          damaged[at] = static_cast<char>(byte(random));
          break;
        case 1:
          damaged[at] = static_cast<char>(damaged[at] ^ (1 << (byte(random) % 8)));
          break;
        case 2:
          damaged.insert(at, 1, static_cast<char>(byte(random)));
          break;
        default:
          if (damaged.size() > 1) damaged.erase(at, 1);
          break;
      }
    }
    try {
      const SequencedEvent back = serializer.deserialize(damaged);
      ++accepted;
      // Whatever is accepted is a well-formed event that writes and reads back the same.
      INFO("accepted " << hex(damaged));
      REQUIRE(isJson(back.event.event));
      REQUIRE(serializer.deserialize(serializer.serialize(back)) == back);
    } catch (const CorruptionError&) {
      ++refused;
    }
  }
  INFO(accepted << " accepted, " << refused << " refused");
  CHECK(refused > accepted);
}

TEST_CASE("cbor files are smaller than json files of the same event", "[cbor]") {
  const CborSerializer cbor;
  const opossum::plugins::json::JsonSerializer json;
  SequencedEvent event;
  event.position = 1234;
  event.event.eventType = "ItemAdded";
  event.event.event =
      R"({"cartId":"c-1","sku":"SKU-42","quantity":3,"price":19.99,"lines":[1,2,3,4,5,6,7,8]})";
  event.event.tags = {{"cartId", "c-1"}, {"sku", "SKU-42"}};
  event.metadata.timestamp = at(1'796'000'523'123'456'789);
  event.metadata.correlationId = "corr-1";
  CHECK(cbor.serialize(event).size() < json.serialize(event).size());
}
