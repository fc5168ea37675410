#include "cbor_serializer.hpp"

#include "opossum/sdk/utf8.hpp"

#include <cbor.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "opossum/errors.hpp"
#include "opossum/sdk/nesting.hpp"
#include "opossum/sdk/options.hpp"

namespace opossum::plugins::cbor {

namespace {

namespace rj = rapidjson;

// Iterative parsing keeps deeply nested payloads from exhausting the stack; numbers arrive as text
// so integers of any size keep their exact value.
constexpr unsigned kParseFlags =
    rj::kParseNumbersAsStringsFlag | rj::kParseIterativeFlag | rj::kParseValidateEncodingFlag;

constexpr std::uint64_t kSelfDescribedTag = 55799;
constexpr std::uint64_t kPositiveBignumTag = 2;
constexpr std::uint64_t kNegativeBignumTag = 3;

// Keeps messages about garbage short and printable.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out = "'";
  for (char c : text.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (text.size() > kMax) out += "...";
  return out + "'";
}

// Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF), as RFC 8949 requires
// of text strings.

// ---------------------------------------------------------------------------------------------
// Unsigned integers of any size, little-endian base 2^32: just enough arithmetic to convert
// bignums between decimal text and big-endian bytes.

using BigNat = std::vector<std::uint32_t>;

void trim(BigNat& n) {
  while (!n.empty() && n.back() == 0) n.pop_back();
}

void mulAdd(BigNat& n, std::uint32_t factor, std::uint32_t addend) {
  std::uint64_t carry = addend;
  for (std::uint32_t& limb : n) {
    const std::uint64_t v = static_cast<std::uint64_t>(limb) * factor + carry;
    limb = static_cast<std::uint32_t>(v);
    carry = v >> 32;
  }
  if (carry != 0) n.push_back(static_cast<std::uint32_t>(carry));
}

// n -= 1; n must not be zero.
void decrement(BigNat& n) {
  for (std::uint32_t& limb : n) {
    if (limb-- != 0) break;
  }
  trim(n);
}

void increment(BigNat& n) {
  for (std::uint32_t& limb : n) {
    if (++limb != 0) return;
  }
  n.push_back(1);
}

// Divides n by `divisor` in place and returns the remainder.
std::uint32_t divMod(BigNat& n, std::uint32_t divisor) {
  std::uint64_t remainder = 0;
  for (std::size_t i = n.size(); i-- > 0;) {
    const std::uint64_t v = (remainder << 32) | n[i];
    n[i] = static_cast<std::uint32_t>(v / divisor);
    remainder = v % divisor;
  }
  trim(n);
  return static_cast<std::uint32_t>(remainder);
}

BigNat fromDecimal(std::string_view digits) {
  BigNat n;
  for (std::size_t at = 0; at < digits.size();) {
    const std::size_t count = std::min<std::size_t>(9, digits.size() - at);
    std::uint32_t chunk = 0, scale = 1;
    for (std::size_t i = 0; i < count; ++i) {
      chunk = chunk * 10 + static_cast<std::uint32_t>(digits[at + i] - '0');
      scale *= 10;
    }
    mulAdd(n, scale, chunk);
    at += count;
  }
  trim(n);
  return n;
}

std::string toDecimal(BigNat n) {
  if (n.empty()) return "0";
  std::string reversed;
  while (!n.empty()) {
    std::uint32_t chunk = divMod(n, 1'000'000'000);
    for (int i = 0; i < 9 && (chunk != 0 || !n.empty()); ++i) {
      reversed += static_cast<char>('0' + chunk % 10);
      chunk /= 10;
    }
  }
  return std::string(reversed.rbegin(), reversed.rend());
}

std::string toBigEndian(const BigNat& n) {
  std::string bytes;
  for (std::size_t i = n.size(); i-- > 0;) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      const char byte = static_cast<char>((n[i] >> shift) & 0xff);
      if (bytes.empty() && byte == 0) continue;  // no leading zeros
      bytes += byte;
    }
  }
  return bytes;
}

BigNat fromBigEndian(std::string_view bytes) {
  BigNat n((bytes.size() + 3) / 4, 0);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::size_t fromEnd = bytes.size() - 1 - i;
    n[fromEnd / 4] |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]))
                      << (8 * (fromEnd % 4));
  }
  trim(n);
  return n;
}

std::optional<std::uint64_t> toUint64(const BigNat& n) {
  if (n.size() > 2) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = n.size(); i-- > 0;) v = (v << 32) | n[i];
  return v;
}

// ---------------------------------------------------------------------------------------------
// Writing.

class Encoder {
 public:
  explicit Encoder(std::size_t reserve) { out_.reserve(reserve); }

  std::string take() { return std::move(out_); }
  std::size_t size() const { return out_.size(); }

  void uint(std::uint64_t v) { put(cbor_encode_uint(v, scratch_, sizeof scratch_)); }
  // The integer -1 - v.
  void negint(std::uint64_t v) { put(cbor_encode_negint(v, scratch_, sizeof scratch_)); }
  void int64(std::int64_t v) {
    if (v >= 0) {
      uint(static_cast<std::uint64_t>(v));
    } else {
      negint(static_cast<std::uint64_t>(-(v + 1)));
    }
  }
  void text(std::string_view s) {
    put(cbor_encode_string_start(s.size(), scratch_, sizeof scratch_));
    out_.append(s);
  }
  void bytes(std::string_view s) {
    put(cbor_encode_bytestring_start(s.size(), scratch_, sizeof scratch_));
    out_.append(s);
  }
  void arrayStart(std::size_t n) { put(cbor_encode_array_start(n, scratch_, sizeof scratch_)); }
  void mapStart(std::size_t n) { put(cbor_encode_map_start(n, scratch_, sizeof scratch_)); }
  void tag(std::uint64_t t) { put(cbor_encode_tag(t, scratch_, sizeof scratch_)); }
  void boolean(bool b) { put(cbor_encode_bool(b, scratch_, sizeof scratch_)); }
  void null() { put(cbor_encode_null(scratch_, sizeof scratch_)); }
  void float64(double d) { put(cbor_encode_double(d, scratch_, sizeof scratch_)); }

  // Containers of the payload: their length is known only at the end, so one byte is reserved
  // for the head and widened in place when the count needs more (24 members or more).
  std::size_t reserveHead() {
    out_.push_back('\0');
    return out_.size() - 1;
  }
  void patchHead(std::size_t at, bool isMap, std::size_t count) {
    const std::size_t n = isMap ? cbor_encode_map_start(count, scratch_, sizeof scratch_)
                                : cbor_encode_array_start(count, scratch_, sizeof scratch_);
    check(n);
    out_.replace(at, 1, reinterpret_cast<const char*>(scratch_), n);
  }

 private:
  static void check(std::size_t written) {
    // Only possible if the scratch buffer were too small for a head: a bug, not bad input.
    if (written == 0) throw Error("cbor serializer: a CBOR head does not fit its buffer");
  }
  void put(std::size_t written) {
    check(written);
    out_.append(reinterpret_cast<const char*>(scratch_), written);
  }

  std::string out_;
  unsigned char scratch_[16];
};

// The decimal exponent of the first significant digit of a JSON number (saturated), to tell a
// double that overflows from one that underflows.
long long decimalMagnitude(std::string_view text) {
  std::size_t at = text[0] == '-' ? 1 : 0;
  long long intDigits = 0, index = 0, firstSignificant = -1;
  bool afterPoint = false;
  for (; at < text.size() && text[at] != 'e' && text[at] != 'E'; ++at) {
    if (text[at] == '.') {
      afterPoint = true;
      continue;
    }
    if (!afterPoint) ++intDigits;
    if (firstSignificant < 0 && text[at] != '0') firstSignificant = index;
    ++index;
  }
  long long exponent = 0;
  if (at < text.size()) {
    ++at;
    bool negative = false;
    if (at < text.size() && (text[at] == '+' || text[at] == '-')) negative = text[at++] == '-';
    for (; at < text.size(); ++at) {
      if (exponent < 1'000'000'000) exponent = exponent * 10 + (text[at] - '0');
    }
    if (negative) exponent = -exponent;
  }
  if (firstSignificant < 0) return 0;
  return exponent + intDigits - 1 - firstSignificant;
}

void encodeNumber(Encoder& out, std::string_view text) {
  const bool isInteger = text.find_first_of(".eE") == std::string_view::npos;
  if (isInteger) {
    const bool negative = text[0] == '-';
    const std::string_view digits = text.substr(negative ? 1 : 0);
    std::uint64_t magnitude = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
    if (ec == std::errc() && end == digits.data() + digits.size()) {
      if (!negative) {
        out.uint(magnitude);
      } else if (magnitude == 0) {
        out.uint(0);  // -0 is the integer 0
      } else {
        out.negint(magnitude - 1);
      }
      return;
    }
    // Outside the 64-bit range of CBOR's integers: a bignum, exact (RFC 8949 §3.4.3).
    BigNat n = fromDecimal(digits);
    if (negative) decrement(n);
    if (auto small = toUint64(n); small && negative) {
      out.negint(*small);  // -2^64 still fits major type 1
      return;
    }
    const std::string bytes = toBigEndian(n);
    if (bytes.size() > kMaxBignumBytes) {
      throw InvalidArgumentError("the event payload has an integer of " +
                                 std::to_string(digits.size()) +
                                 " digits; opossum-cbor keeps integers of at most " +
                                 std::to_string(kMaxBignumBytes * 8) + " bits");
    }
    out.tag(negative ? kNegativeBignumTag : kPositiveBignumTag);
    out.bytes(bytes);
    return;
  }
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    if (decimalMagnitude(text) > 0) {
      throw InvalidArgumentError("the event payload has the number " + quoted(text) +
                                 ", beyond the range of a 64-bit double");
    }
    // Underflow: the nearest double is zero, as every JSON reader makes of it.
    value = text[0] == '-' ? -0.0 : 0.0;
  } else if (ec != std::errc() || end != text.data() + text.size()) {
    throw InvalidArgumentError("the event payload has the malformed number " + quoted(text));
  }
  out.float64(value);
}

// SAX handler that writes the payload straight into CBOR.
class PayloadEncoder {
 public:
  explicit PayloadEncoder(Encoder& out) : out_(out) {}

  const std::string& error() const { return error_; }

  bool Null() {
    out_.null();
    return true;
  }
  bool Bool(bool b) {
    out_.boolean(b);
    return true;
  }
  // Numbers arrive as RawNumber (kParseNumbersAsStringsFlag).
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(std::int64_t) { return false; }
  bool Uint64(std::uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* text, rj::SizeType length, bool) {
    try {
      encodeNumber(out_, {text, length});
    } catch (const InvalidArgumentError& e) {
      error_ = e.what();
      return false;
    }
    return true;
  }
  bool String(const char* text, rj::SizeType length, bool) {
    // The reader validates the bytes but lets an escaped lone surrogate (\udc00) through.
    if (!sdk::isValidUtf8({text, length})) {
      error_ =
          "the event payload has a string with an unpaired UTF-16 surrogate escape (\\udc00 to "
          "\\udfff), which is not Unicode text";
      return false;
    }
    out_.text({text, length});
    return true;
  }
  bool Key(const char* text, rj::SizeType length, bool copy) { return String(text, length, copy); }
  bool StartObject() {
    heads_.push_back(out_.reserveHead());
    return true;
  }
  bool EndObject(rj::SizeType count) {
    out_.patchHead(heads_.back(), true, count);
    heads_.pop_back();
    return true;
  }
  bool StartArray() {
    heads_.push_back(out_.reserveHead());
    return true;
  }
  bool EndArray(rj::SizeType count) {
    out_.patchHead(heads_.back(), false, count);
    heads_.pop_back();
    return true;
  }

 private:
  Encoder& out_;
  std::vector<std::size_t> heads_;
  std::string error_;
};

void encodePayload(Encoder& out, std::string_view payload) {
  const std::size_t first = payload.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || payload[first] != '{') {
    throw InvalidArgumentError("the event payload is not a JSON object");
  }
  // Readers of the payload may recurse per level (libcbor's cbor_load and cbor_decref do).
  if (sdk::jsonNestsDeeperThan(payload, sdk::kMaxNestingDepth)) {
    throw InvalidArgumentError("the event payload nests arrays and objects deeper than " +
                               std::to_string(sdk::kMaxNestingDepth) + " levels");
  }
  PayloadEncoder handler(out);
  rj::MemoryStream stream(payload.data(), payload.size());
  rj::Reader reader;
  const rj::ParseResult result = reader.Parse<kParseFlags>(stream, handler);
  if (!result) {
    if (!handler.error().empty()) throw InvalidArgumentError(handler.error());
    throw InvalidArgumentError(std::string("the event payload is not valid JSON: ") +
                               rj::GetParseError_En(result.Code()) + " (at byte " +
                               std::to_string(result.Offset()) + ")");
  }
  if (payload.find_first_not_of(" \t\r\n", stream.Tell()) != std::string_view::npos) {
    throw InvalidArgumentError("the event payload has data after the JSON object");
  }
}

void encodeText(Encoder& out, std::string_view text, const char* what) {
  if (!sdk::isValidUtf8(text))
    throw InvalidArgumentError(std::string(what) + " is not valid UTF-8");
  out.text(text);
}

// ---------------------------------------------------------------------------------------------
// Reading: libcbor's streaming decoder reports one data item head at a time; CborReader keeps its
// own stack of open containers, so the nesting depth of a file is bounded by memory, not the C
// stack. The payload's depth is limited still, as when writing: what it decodes to is JSON that
// other readers may parse recursively.

enum class Kind { uint, negint, text, bytes, array, map, tag, floating, boolean, null, other };

struct Item {
  Kind kind = Kind::other;
  std::uint64_t number = 0;  // uint, negint (-1 - number), tag, array and map counts
  double floating = 0;
  bool flag = false;
  std::string_view data;  // text, bytes
  const char* name = "";  // for messages
};

class CborReader {
 public:
  explicit CborReader(SequencedEvent& out) : out_(out), payloadWriter_(payload_) {}

  bool done() const { return done_; }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  std::string_view payload() const { return {payload_.GetString(), payload_.GetSize()}; }

  void item(const Item& item) {
    if (failed()) return;
    if (done_) return fail("unexpected data after the event");
    if (levels_.empty()) return root(item);
    Level& level = levels_.back();
    switch (level.frame) {
      case Frame::top:
        return level.expectKey ? topKey(level, item) : topValue(level, item);
      case Frame::tags:
        if (item.kind != Kind::array || item.number != 2) {
          return fail(where() + " must be an array of two text strings, found " + found(item));
        }
        levels_.push_back({Frame::tagPair, 2});
        return;
      case Frame::tagPair:
        if (item.kind != Kind::text) {
          return fail(where() + (level.remaining == 2 ? " key" : " value") +
                      " must be a text string, found " + found(item));
        }
        if (!checkText(item.data, where().c_str())) return;
        (level.remaining == 2 ? tag_.key : tag_.value).assign(item.data);
        return completed();
      case Frame::metadata:
        return level.expectKey ? metadataKey(level, item) : metadataValue(level, item);
      case Frame::payloadMap:
        if (level.expectKey) {
          if (item.kind != Kind::text) {
            return fail("keys of payload maps must be text strings, found " + found(item));
          }
          if (!checkText(item.data, "a payload key")) return;
          if (!writeString(item.data, true)) return;
          level.expectKey = false;
          return;
        }
        return payloadValue(item);
      case Frame::payloadArray:
        return payloadValue(item);
      case Frame::bignum:
        return bignum(item);
    }
  }

  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

 private:
  enum class Frame { top, tags, tagPair, metadata, payloadMap, payloadArray, bignum };
  struct Level {
    Frame frame;
    std::uint64_t remaining;  // entries (maps) or elements (arrays) still to come
    bool expectKey = true;    // maps: the next item is a key
    int member = 0;           // top and metadata maps: the member whose value comes next
    bool negative = false;    // bignum: tag 3
  };
  enum Member : int {
    none = 0,
    position = 1,
    eventType = 2,
    event = 4,
    tags = 8,
    metadata = 16,
    timestamp = 32,
    correlationId = 64,
    causationId = 128,
    operationId = 256,
    userId = 512
  };

  static std::string found(const Item& item) { return item.name; }

  void root(const Item& item) {
    if (!magicSeen_) {
      if (item.kind != Kind::tag || item.number != kSelfDescribedTag) {
        return fail("the file does not start with the self-described CBOR tag 55799 (found " +
                    found(item) + ")");
      }
      magicSeen_ = true;
      return;
    }
    if (item.kind != Kind::map) return fail("the event must be a CBOR map, found " + found(item));
    levels_.push_back({Frame::top, item.number});
    if (item.number == 0) completed();
  }

  bool take(Level& level, unsigned& seen, int member, std::string_view key) {
    if ((seen & static_cast<unsigned>(member)) != 0) {
      fail("member " + quoted(key) + " appears twice in " + where());
      return false;
    }
    seen |= static_cast<unsigned>(member);
    level.member = member;
    level.expectKey = false;
    return true;
  }

  void topKey(Level& level, const Item& item) {
    if (item.kind != Kind::text) {
      return fail("keys of the event map must be text strings, found " + found(item));
    }
    const std::string_view key = item.data;
    if (key == "position") {
      take(level, topSeen_, position, key);
    } else if (key == "eventType") {
      take(level, topSeen_, eventType, key);
    } else if (key == "event") {
      take(level, topSeen_, event, key);
    } else if (key == "tags") {
      take(level, topSeen_, tags, key);
    } else if (key == "metadata") {
      take(level, topSeen_, metadata, key);
    } else {
      fail("unknown member " + quoted(key) + " in the event map");
    }
  }

  void topValue(Level& level, const Item& item) {
    switch (level.member) {
      case position:
        if (item.kind != Kind::uint) {
          return fail("member 'position' must be an unsigned integer, found " + found(item));
        }
        out_.position = item.number;
        return completed();
      case eventType:
        if (item.kind != Kind::text) {
          return fail("member 'eventType' must be a text string, found " + found(item));
        }
        if (!checkText(item.data, "member 'eventType'")) return;
        out_.event.eventType.assign(item.data);
        return completed();
      case event:
        if (item.kind != Kind::map) {
          return fail("member 'event' must be a map, found " + found(item));
        }
        return openPayload(item);
      case tags:
        if (item.kind != Kind::array) {
          return fail("member 'tags' must be an array, found " + found(item));
        }
        levels_.push_back({Frame::tags, item.number});
        if (item.number == 0) completed();
        return;
      default:  // metadata
        if (item.kind != Kind::map) {
          return fail("member 'metadata' must be a map, found " + found(item));
        }
        levels_.push_back({Frame::metadata, item.number});
        if (item.number == 0) completed();
        return;
    }
  }

  void metadataKey(Level& level, const Item& item) {
    if (item.kind != Kind::text) {
      return fail("keys of 'metadata' must be text strings, found " + found(item));
    }
    const std::string_view key = item.data;
    if (key == "timestamp") {
      take(level, metadataSeen_, timestamp, key);
    } else if (key == "correlationId") {
      take(level, metadataSeen_, correlationId, key);
    } else if (key == "causationId") {
      take(level, metadataSeen_, causationId, key);
    } else if (key == "operationId") {
      take(level, metadataSeen_, operationId, key);
    } else if (key == "userId") {
      take(level, metadataSeen_, userId, key);
    } else {
      fail("unknown member " + quoted(key) + " in 'metadata'");
    }
  }

  void metadataValue(Level& level, const Item& item) {
    Metadata& m = out_.metadata;
    if (level.member == timestamp) {
      constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
      if ((item.kind != Kind::uint && item.kind != Kind::negint) || item.number > kMax) {
        return fail(
            "metadata 'timestamp' must be an integer of nanoseconds in the 64-bit range, found " +
            (item.kind == Kind::uint || item.kind == Kind::negint ? std::string("a larger integer")
                                                                  : found(item)));
      }
      const auto n = static_cast<std::int64_t>(item.number);
      const std::chrono::nanoseconds nanos{item.kind == Kind::uint ? n : -n - 1};
      m.timestamp = Timestamp{std::chrono::duration_cast<Timestamp::duration>(nanos)};
      return completed();
    }
    if (item.kind != Kind::text) {
      return fail("metadata values other than 'timestamp' must be text strings, found " +
                  found(item));
    }
    if (!checkText(item.data, "a metadata value")) return;
    switch (level.member) {
      case correlationId:
        m.correlationId.emplace(item.data);
        break;
      case causationId:
        m.causationId.emplace(item.data);
        break;
      case operationId:
        m.operationId.emplace(item.data);
        break;
      default:
        m.userId.emplace(item.data);
        break;
    }
    completed();
  }

  void openPayload(const Item& item) {
    if (!deeper()) return;
    payloadWriter_.StartObject();
    levels_.push_back({Frame::payloadMap, item.number});
    if (item.number == 0) completed();
  }

  // One more map or array inside the payload.
  bool deeper() {
    if (++payloadDepth_ <= sdk::kMaxNestingDepth) return true;
    fail("the payload nests maps and arrays deeper than " + std::to_string(sdk::kMaxNestingDepth) +
         " levels");
    return false;
  }

  void payloadValue(const Item& item) {
    switch (item.kind) {
      case Kind::uint: {
        char text[24];
        auto [end, ec] = std::to_chars(text, text + sizeof text, item.number);
        (void)ec;
        return number({text, static_cast<std::size_t>(end - text)});
      }
      case Kind::negint: {
        // -1 - number; number + 1 may be 2^64.
        BigNat n{static_cast<std::uint32_t>(item.number),
                 static_cast<std::uint32_t>(item.number >> 32)};
        increment(n);
        return number("-" + toDecimal(std::move(n)));
      }
      case Kind::floating:
        return floating(item.floating);
      case Kind::text:
        if (!checkText(item.data, "a payload string")) return;
        if (!writeString(item.data, false)) return;
        return completed();
      case Kind::boolean:
        payloadWriter_.Bool(item.flag);
        return completed();
      case Kind::null:
        payloadWriter_.Null();
        return completed();
      case Kind::map:
        return openPayload(item);
      case Kind::array:
        if (!deeper()) return;
        payloadWriter_.StartArray();
        levels_.push_back({Frame::payloadArray, item.number});
        if (item.number == 0) completed();
        return;
      case Kind::tag:
        if (item.number == kPositiveBignumTag || item.number == kNegativeBignumTag) {
          Level level{Frame::bignum, 1};
          level.negative = item.number == kNegativeBignumTag;
          levels_.push_back(level);
          return;
        }
        return fail("unsupported tag " + std::to_string(item.number) + " in the payload");
      default:
        return fail("unsupported item in the payload: " + found(item));
    }
  }

  void bignum(const Item& item) {
    const bool negative = levels_.back().negative;
    if (item.kind != Kind::bytes) {
      return fail("a bignum tag must enclose a byte string, found " + found(item));
    }
    if (item.data.size() > kMaxBignumBytes) {
      return fail("a bignum of " + std::to_string(item.data.size()) + " bytes (at most " +
                  std::to_string(kMaxBignumBytes) + " are read)");
    }
    BigNat n = fromBigEndian(item.data);
    if (negative) increment(n);
    levels_.pop_back();
    number((negative ? "-" : "") + toDecimal(std::move(n)));
  }

  void number(std::string_view text) {
    payloadWriter_.RawValue(text.data(), text.size(), rj::kNumberType);
    completed();
  }

  // Shortest text that reads back to the same double, always recognisable as a double.
  void floating(double value) {
    if (!std::isfinite(value)) return fail("a payload number is NaN or infinite");
    char text[40];
    auto [end, ec] = std::to_chars(text, text + sizeof text - 2, value);
    (void)ec;
    if (std::string_view(text, end - text).find_first_of(".e") == std::string_view::npos) {
      *end++ = '.';
      *end++ = '0';
    }
    number({text, static_cast<std::size_t>(end - text)});
  }

  bool writeString(std::string_view text, bool isKey) {
    if (text.size() > std::numeric_limits<rj::SizeType>::max()) {
      fail("a payload string is too long");
      return false;
    }
    const auto length = static_cast<rj::SizeType>(text.size());
    if (isKey) {
      payloadWriter_.Key(text.data(), length);
    } else {
      payloadWriter_.String(text.data(), length);
    }
    return true;
  }

  bool checkText(std::string_view text, const char* what) {
    if (sdk::isValidUtf8(text)) return true;
    fail(std::string(what) + " is not valid UTF-8");
    return false;
  }

  // One value of the innermost container is complete: count it, and close every container that
  // it completes.
  void completed() {
    while (!levels_.empty()) {
      Level& level = levels_.back();
      if (level.frame == Frame::payloadMap || level.frame == Frame::top ||
          level.frame == Frame::metadata) {
        level.expectKey = true;
      }
      if (level.remaining > 0) --level.remaining;
      if (level.remaining > 0) return;
      // The container is complete.
      switch (level.frame) {
        case Frame::top:
          if ((topSeen_ & position) == 0) return fail("member 'position' is missing");
          if ((topSeen_ & eventType) == 0) return fail("member 'eventType' is missing");
          if ((topSeen_ & event) == 0) return fail("member 'event' is missing");
          levels_.pop_back();
          done_ = true;
          return;
        case Frame::tagPair:
          out_.event.tags.push_back(std::move(tag_));
          tag_ = Tag{};
          break;
        case Frame::payloadMap:
          payloadWriter_.EndObject();
          --payloadDepth_;
          break;
        case Frame::payloadArray:
          payloadWriter_.EndArray();
          --payloadDepth_;
          break;
        default:
          break;
      }
      levels_.pop_back();
    }
  }

  std::string where() const {
    for (auto it = levels_.rbegin(); it != levels_.rend(); ++it) {
      if (it->frame == Frame::tags || it->frame == Frame::tagPair) {
        return "tags[" + std::to_string(out_.event.tags.size()) + "]";
      }
      if (it->frame == Frame::metadata) return "'metadata'";
    }
    return "the event map";
  }

  SequencedEvent& out_;
  rj::StringBuffer payload_;
  rj::Writer<rj::StringBuffer> payloadWriter_;
  std::vector<Level> levels_;
  std::size_t payloadDepth_ = 0;  // maps and arrays of the payload open now
  bool magicSeen_ = false;
  bool done_ = false;
  unsigned topSeen_ = 0, metadataSeen_ = 0;
  Tag tag_;
  std::string error_;
};

CborReader& readerOf(void* context) { return *static_cast<CborReader*>(context); }

void onItem(void* context, Kind kind, std::uint64_t number, const char* name) {
  Item item;
  item.kind = kind;
  item.number = number;
  item.name = name;
  readerOf(context).item(item);
}

void onUint8(void* c, std::uint8_t v) { onItem(c, Kind::uint, v, "an unsigned integer"); }
void onUint16(void* c, std::uint16_t v) { onItem(c, Kind::uint, v, "an unsigned integer"); }
void onUint32(void* c, std::uint32_t v) { onItem(c, Kind::uint, v, "an unsigned integer"); }
void onUint64(void* c, std::uint64_t v) { onItem(c, Kind::uint, v, "an unsigned integer"); }
void onNegint8(void* c, std::uint8_t v) { onItem(c, Kind::negint, v, "a negative integer"); }
void onNegint16(void* c, std::uint16_t v) { onItem(c, Kind::negint, v, "a negative integer"); }
void onNegint32(void* c, std::uint32_t v) { onItem(c, Kind::negint, v, "a negative integer"); }
void onNegint64(void* c, std::uint64_t v) { onItem(c, Kind::negint, v, "a negative integer"); }
void onArray(void* c, std::size_t n) { onItem(c, Kind::array, n, "an array"); }
void onMap(void* c, std::size_t n) { onItem(c, Kind::map, n, "a map"); }
void onTag(void* c, std::uint64_t t) { onItem(c, Kind::tag, t, "a tag"); }
void onNull(void* c) { onItem(c, Kind::null, 0, "null"); }
void onUndefined(void* c) { onItem(c, Kind::other, 0, "undefined"); }

void onText(void* c, cbor_data data, std::size_t length) {
  Item item;
  item.kind = Kind::text;
  item.data = {reinterpret_cast<const char*>(data), length};
  item.name = "a text string";
  readerOf(c).item(item);
}
void onBytes(void* c, cbor_data data, std::size_t length) {
  Item item;
  item.kind = Kind::bytes;
  item.data = {reinterpret_cast<const char*>(data), length};
  item.name = "a byte string";
  readerOf(c).item(item);
}
void onFloat(void* c, double value) {
  Item item;
  item.kind = Kind::floating;
  item.floating = value;
  item.name = "a floating-point number";
  readerOf(c).item(item);
}
void onFloat32(void* c, float value) { onFloat(c, value); }
void onBool(void* c, bool value) {
  Item item;
  item.kind = Kind::boolean;
  item.flag = value;
  item.name = "a boolean";
  readerOf(c).item(item);
}
// The format writes only definite lengths; streamed (indefinite-length) items are refused.
void onIndefinite(void* c) {
  readerOf(c).fail("indefinite-length items are not part of the opossum-cbor format");
}

cbor_callbacks makeCallbacks() {
  cbor_callbacks callbacks = cbor_empty_callbacks;
  callbacks.uint8 = onUint8;
  callbacks.uint16 = onUint16;
  callbacks.uint32 = onUint32;
  callbacks.uint64 = onUint64;
  callbacks.negint8 = onNegint8;
  callbacks.negint16 = onNegint16;
  callbacks.negint32 = onNegint32;
  callbacks.negint64 = onNegint64;
  callbacks.byte_string_start = onIndefinite;
  callbacks.byte_string = onBytes;
  callbacks.string = onText;
  callbacks.string_start = onIndefinite;
  callbacks.indef_array_start = onIndefinite;
  callbacks.array_start = onArray;
  callbacks.indef_map_start = onIndefinite;
  callbacks.map_start = onMap;
  callbacks.tag = onTag;
  callbacks.float2 = onFloat32;
  callbacks.float4 = onFloat32;
  callbacks.float8 = onFloat;
  callbacks.undefined = onUndefined;
  callbacks.null = onNull;
  callbacks.boolean = onBool;
  callbacks.indef_break = onIndefinite;
  return callbacks;
}

const cbor_callbacks kCallbacks = makeCallbacks();

[[noreturn]] void corrupt(const std::string& what, std::size_t offset) {
  throw CorruptionError("invalid event file: " + what + " (at byte " + std::to_string(offset) +
                        ")");
}

}  // namespace

CborSerializer::CborSerializer(const sdk::SerializerContext& context) {
  sdk::OptionReader options(context.options, "serializer plugin 'cbor'");
  options.finish();
}

std::string CborSerializer::serialize(const SequencedEvent& sequenced) const {
  const DomainEvent& event = sequenced.event;
  const Metadata& metadata = sequenced.metadata;
  Encoder out(event.event.size() + 128);
  out.tag(kSelfDescribedTag);
  out.mapStart(5);
  out.text("position");
  out.uint(sequenced.position);
  out.text("eventType");
  encodeText(out, event.eventType, "the event type");
  out.text("event");
  encodePayload(out, event.event);
  out.text("tags");
  out.arrayStart(event.tags.size());
  for (const Tag& tag : event.tags) {
    out.arrayStart(2);
    encodeText(out, tag.key, "a tag key");
    encodeText(out, tag.value, "a tag value");
  }
  out.text("metadata");
  const std::optional<std::string>* fields[] = {&metadata.correlationId, &metadata.causationId,
                                                &metadata.operationId, &metadata.userId};
  const char* names[] = {"correlationId", "causationId", "operationId", "userId"};
  std::size_t present = metadata.timestamp ? 1 : 0;
  for (const auto* field : fields) present += field->has_value() ? 1 : 0;
  out.mapStart(present);
  if (metadata.timestamp) {
    out.text("timestamp");
    out.int64(
        std::chrono::duration_cast<std::chrono::nanoseconds>(metadata.timestamp->time_since_epoch())
            .count());
  }
  for (std::size_t i = 0; i < 4; ++i) {
    if (!fields[i]->has_value()) continue;
    out.text(names[i]);
    encodeText(out, **fields[i], names[i]);
  }
  return out.take();
}

SequencedEvent CborSerializer::deserialize(std::string_view bytes) const {
  SequencedEvent event;
  CborReader reader(event);
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t offset = 0;
  while (!reader.done()) {
    if (offset == bytes.size()) corrupt("the file ends before the event is complete", offset);
    const cbor_decoder_result result =
        cbor_stream_decode(data + offset, bytes.size() - offset, &kCallbacks, &reader);
    if (result.status == CBOR_DECODER_NEDATA) {
      corrupt("the file ends in the middle of a data item", offset);
    }
    if (result.status != CBOR_DECODER_FINISHED || result.read == 0) {
      corrupt("malformed CBOR data item", offset);
    }
    if (reader.failed()) corrupt(reader.error(), offset);
    offset += result.read;
  }
  if (offset != bytes.size()) corrupt("unexpected data after the event", offset);
  event.event.event.assign(reader.payload());
  return event;
}

}  // namespace opossum::plugins::cbor
