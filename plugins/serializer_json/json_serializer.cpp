#include "json_serializer.hpp"

#include "opossum/sdk/utf8.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "opossum/errors.hpp"
#include "opossum/sdk/nesting.hpp"
#include "opossum/sdk/options.hpp"

namespace opossum::plugins::json {

namespace {

namespace rj = rapidjson;
// RapidJSON 1.1.0's Writer::RawNumber writes the number in quotes, as a string; this one writes
// it verbatim. The reader calls the handler's own RawNumber, so hiding the base one suffices.
class Writer : public rj::Writer<rj::StringBuffer> {
 public:
  using rj::Writer<rj::StringBuffer>::Writer;
  bool RawNumber(const Ch* text, rj::SizeType length, bool /*copy*/ = false) {
    return RawValue(text, length, rj::kNumberType);
  }
};

// Numbers stay text so the payload keeps their exact spelling (no double rounding, no int/double
// change); iterative parsing keeps deeply nested garbage from exhausting the stack, and the
// payload's depth is limited still (sdk::kMaxNestingDepth) because its readers may recurse.
constexpr unsigned kParseFlags =
    rj::kParseNumbersAsStringsFlag | rj::kParseIterativeFlag | rj::kParseValidateEncodingFlag;

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kNanosPerDay = 86'400 * kNanosPerSecond;

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

std::string tooDeepMessage() {
  return "the event payload nests arrays and objects deeper than " +
         std::to_string(sdk::kMaxNestingDepth) + " levels";
}

std::string parseErrorMessage(const rj::ParseResult& result) {
  return std::string("not valid JSON: ") + rj::GetParseError_En(result.Code()) + " (at byte " +
         std::to_string(result.Offset()) + ")";
}

// Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF), as the reader
// checks on the way back; a string that fails here would make the file unreadable.

void writeString(Writer& writer, std::string_view text, const char* what) {
  if (text.size() > std::numeric_limits<rj::SizeType>::max()) {
    throw InvalidArgumentError(std::string(what) + " is too long to serialize");
  }
  if (!sdk::isValidUtf8(text))
    throw InvalidArgumentError(std::string(what) + " is not valid UTF-8");
  writer.String(text.data(), static_cast<rj::SizeType>(text.size()));
}

template <std::size_t N>
void writeKey(Writer& writer, const char (&name)[N]) {
  writer.Key(name, N - 1);
}

// Streams the payload through the reader into `writer`, so it lands compact with its members in
// order and its numbers spelled as given.
void writePayload(Writer& writer, std::string_view payload) {
  std::size_t first = payload.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || payload[first] != '{') {
    throw InvalidArgumentError("the event payload is not a JSON object");
  }
  if (sdk::jsonNestsDeeperThan(payload, sdk::kMaxNestingDepth)) {
    throw InvalidArgumentError(tooDeepMessage());
  }
  rj::MemoryStream stream(payload.data(), payload.size());
  rj::Reader reader;
  const rj::ParseResult result = reader.Parse<kParseFlags>(stream, writer);
  if (!result) throw InvalidArgumentError("the event payload is " + parseErrorMessage(result));
  if (stream.Tell() != payload.size()) {
    throw InvalidArgumentError("the event payload has data after the JSON object");
  }
}

// The value of `count` decimal digits at `at`, or -1.
int digits(std::string_view text, std::size_t at, std::size_t count) {
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (i >= text.size() || text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

void putDigits(char* out, std::int64_t value, int count) {
  for (int i = count - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// SAX handler that reads the envelope and forwards the "event" member's subtree to a writer.
class EventReader {
 public:
  explicit EventReader(SequencedEvent& out) : out_(out), payloadWriter_(payload_) {}

  const std::string& error() const { return error_; }
  std::string_view payload() const { return {payload_.GetString(), payload_.GetSize()}; }

  bool Null() { return inPayload() ? payloadWriter_.Null() : unexpected("null"); }
  bool Bool(bool value) {
    return inPayload() ? payloadWriter_.Bool(value) : unexpected("a boolean");
  }
  // Numbers arrive as RawNumber (kParseNumbersAsStringsFlag); these are for completeness.
  bool Int(int) { return unexpected("a number"); }
  bool Uint(unsigned) { return unexpected("a number"); }
  bool Int64(std::int64_t) { return unexpected("a number"); }
  bool Uint64(std::uint64_t) { return unexpected("a number"); }
  bool Double(double) { return unexpected("a number"); }

  bool RawNumber(const char* text, rj::SizeType length, bool copy) {
    if (inPayload()) return payloadWriter_.RawNumber(text, length, copy);
    if (state_ != State::top || member_ != Member::position) return unexpected("a number");
    const char* end = text + length;
    auto [last, ec] = std::from_chars(text, end, out_.position);
    if (ec != std::errc() || last != end) {
      return fail("member 'position' must be an unsigned 64-bit integer, found " +
                  quoted({text, length}));
    }
    member_ = Member::none;
    return true;
  }

  bool String(const char* text, rj::SizeType length, bool copy) {
    if (!unicode(text, length)) return false;
    if (inPayload()) return payloadWriter_.String(text, length, copy);
    switch (state_) {
      case State::top:
        if (member_ != Member::eventType) break;
        out_.event.eventType.assign(text, length);
        member_ = Member::none;
        return true;
      case State::tag:
        if (member_ == Member::tagKey) {
          tag_.key.assign(text, length);
        } else if (member_ == Member::tagValue) {
          tag_.value.assign(text, length);
        } else {
          break;
        }
        member_ = Member::none;
        return true;
      case State::metadata:
        if (!assignMetadata({text, length})) return false;
        member_ = Member::none;
        return true;
      default:
        break;
    }
    return unexpected("a string");
  }

  bool StartObject() {
    if (inPayload()) {
      if (!deeper()) return false;
      return payloadWriter_.StartObject();
    }
    switch (state_) {
      case State::start:
        state_ = State::top;
        return true;
      case State::top:
        if (member_ == Member::event) {
          depth_ = 1;
          return payloadWriter_.StartObject();
        }
        if (member_ == Member::metadata) {
          state_ = State::metadata;
          member_ = Member::none;
          return true;
        }
        break;
      case State::tags:
        state_ = State::tag;
        tag_ = Tag{};
        tagSeen_ = 0;
        return true;
      default:
        break;
    }
    return unexpected("an object");
  }

  bool Key(const char* text, rj::SizeType length, bool copy) {
    if (!unicode(text, length)) return false;
    if (inPayload()) return payloadWriter_.Key(text, length, copy);
    const std::string_view key(text, length);
    switch (state_) {
      case State::top:
        return topKey(key);
      case State::tag:
        if (key == "key") return take(Member::tagKey, tagSeen_, 1, key);
        if (key == "value") return take(Member::tagValue, tagSeen_, 2, key);
        return fail("unknown member " + quoted(key) + " in " + where());
      case State::metadata:
        return metadataKey(key);
      default:
        return fail("unexpected member " + quoted(key));
    }
  }

  bool EndObject(rj::SizeType count) {
    if (inPayload()) {
      const bool ok = payloadWriter_.EndObject(count);
      if (--depth_ == 0) member_ = Member::none;
      return ok;
    }
    switch (state_) {
      case State::top:
        if ((topSeen_ & kPositionBit) == 0) return fail("member 'position' is missing");
        if ((topSeen_ & kEventTypeBit) == 0) return fail("member 'eventType' is missing");
        if ((topSeen_ & kEventBit) == 0) return fail("member 'event' is missing");
        state_ = State::done;
        return true;
      case State::tag:
        if ((tagSeen_ & 1) == 0) return fail("member 'key' is missing in " + where());
        if ((tagSeen_ & 2) == 0) return fail("member 'value' is missing in " + where());
        out_.event.tags.push_back(std::move(tag_));
        state_ = State::tags;
        return true;
      case State::metadata:
        state_ = State::top;
        return true;
      default:
        return fail("unexpected end of object");
    }
  }

  bool StartArray() {
    if (inPayload()) {
      if (!deeper()) return false;
      return payloadWriter_.StartArray();
    }
    if (state_ == State::top && member_ == Member::tags) {
      state_ = State::tags;
      member_ = Member::none;
      return true;
    }
    return unexpected("an array");
  }

  bool EndArray(rj::SizeType count) {
    if (inPayload()) {
      --depth_;  // never reaches 0: the payload is an object
      return payloadWriter_.EndArray(count);
    }
    if (state_ == State::tags) {
      state_ = State::top;
      return true;
    }
    return fail("unexpected end of array");
  }

 private:
  enum class State { start, top, tags, tag, metadata, done };
  enum class Member {
    none,
    position,
    eventType,
    event,
    tags,
    metadata,
    tagKey,
    tagValue,
    timestamp,
    correlationId,
    causationId,
    operationId,
    userId
  };
  static constexpr unsigned kPositionBit = 1, kEventTypeBit = 2, kEventBit = 4, kTagsBit = 8,
                            kMetadataBit = 16;

  bool inPayload() const { return depth_ > 0; }

  // The reader validates the file's bytes but decodes an escaped lone surrogate ("\udc00") into
  // bytes that are not UTF-8; no event the store writes holds one.
  bool unicode(const char* text, rj::SizeType length) {
    if (sdk::isValidUtf8({text, length})) return true;
    return fail(
        "a string holds an unpaired UTF-16 surrogate escape (\\ud800 to \\udfff), which "
        "is not Unicode text");
  }

  // One more level inside the payload; a file nested deeper than any payload the store writes
  // is refused.
  bool deeper() {
    if (static_cast<std::size_t>(++depth_) > sdk::kMaxNestingDepth) return fail(tooDeepMessage());
    return true;
  }

  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  // Marks `member` as the one whose value comes next; refuses a member given twice.
  bool take(Member member, unsigned& seen, unsigned bit, std::string_view key) {
    if ((seen & bit) != 0) return fail("member " + quoted(key) + " appears twice in " + where());
    seen |= bit;
    member_ = member;
    return true;
  }

  bool topKey(std::string_view key) {
    if (key == "position") return take(Member::position, topSeen_, kPositionBit, key);
    if (key == "eventType") return take(Member::eventType, topSeen_, kEventTypeBit, key);
    if (key == "event") return take(Member::event, topSeen_, kEventBit, key);
    if (key == "tags") return take(Member::tags, topSeen_, kTagsBit, key);
    if (key == "metadata") return take(Member::metadata, topSeen_, kMetadataBit, key);
    return fail("unknown member " + quoted(key) + " in the event object");
  }

  bool metadataKey(std::string_view key) {
    if (key == "timestamp") return take(Member::timestamp, metadataSeen_, 1, key);
    if (key == "correlationId") return take(Member::correlationId, metadataSeen_, 2, key);
    if (key == "causationId") return take(Member::causationId, metadataSeen_, 4, key);
    if (key == "operationId") return take(Member::operationId, metadataSeen_, 8, key);
    if (key == "userId") return take(Member::userId, metadataSeen_, 16, key);
    return fail("unknown member " + quoted(key) + " in 'metadata'");
  }

  bool assignMetadata(std::string_view text) {
    Metadata& m = out_.metadata;
    switch (member_) {
      case Member::timestamp:
        try {
          m.timestamp = parseTimestamp(text);
        } catch (const CorruptionError& e) {
          return fail(std::string("metadata.timestamp: ") + e.what());
        }
        return true;
      case Member::correlationId:
        m.correlationId.emplace(text);
        return true;
      case Member::causationId:
        m.causationId.emplace(text);
        return true;
      case Member::operationId:
        m.operationId.emplace(text);
        return true;
      case Member::userId:
        m.userId.emplace(text);
        return true;
      default:
        return unexpected("a string");
    }
  }

  std::string where() const {
    if (state_ == State::tag || state_ == State::tags) {
      return "tags[" + std::to_string(out_.event.tags.size()) + "]";
    }
    if (state_ == State::metadata) return "'metadata'";
    return "the event object";
  }

  // A value of the wrong type (or one where none belongs).
  bool unexpected(const char* found) {
    switch (state_) {
      case State::start:
        return fail(std::string("the file is not a JSON object (found ") + found + ")");
      case State::top:
        switch (member_) {
          case Member::position:
            return fail(std::string("member 'position' must be an unsigned integer, found ") +
                        found);
          case Member::eventType:
            return fail(std::string("member 'eventType' must be a string, found ") + found);
          case Member::event:
            return fail(std::string("member 'event' must be an object, found ") + found);
          case Member::tags:
            return fail(std::string("member 'tags' must be an array, found ") + found);
          case Member::metadata:
            return fail(std::string("member 'metadata' must be an object, found ") + found);
          default:
            break;
        }
        break;
      case State::tags:
        return fail(where() + " must be an object, found " + found);
      case State::tag:
        return fail(where() + (member_ == Member::tagKey ? ".key" : ".value") +
                    " must be a string, found " + found);
      case State::metadata:
        return fail(std::string("metadata values must be strings, found ") + found);
      default:
        break;
    }
    return fail(std::string("unexpected ") + found);
  }

  SequencedEvent& out_;
  rj::StringBuffer payload_;
  Writer payloadWriter_;
  State state_ = State::start;
  Member member_ = Member::none;
  int depth_ = 0;  // nesting inside the payload; 0 outside it
  unsigned topSeen_ = 0, tagSeen_ = 0, metadataSeen_ = 0;
  Tag tag_;
  std::string error_;
};

}  // namespace

JsonSerializer::JsonSerializer(const sdk::SerializerContext& context) {
  sdk::OptionReader options(context.options, "serializer plugin 'json'");
  options.finish();
}

std::string JsonSerializer::serialize(const SequencedEvent& sequenced) const {
  const DomainEvent& event = sequenced.event;
  const Metadata& metadata = sequenced.metadata;
  rj::StringBuffer buffer(nullptr, event.event.size() + 256);
  Writer writer(buffer);
  writer.StartObject();
  writeKey(writer, "position");
  writer.Uint64(sequenced.position);
  writeKey(writer, "eventType");
  writeString(writer, event.eventType, "the event type");
  writeKey(writer, "event");
  writePayload(writer, event.event);
  writeKey(writer, "tags");
  writer.StartArray();
  for (const Tag& tag : event.tags) {
    writer.StartObject();
    writeKey(writer, "key");
    writeString(writer, tag.key, "a tag key");
    writeKey(writer, "value");
    writeString(writer, tag.value, "a tag value");
    writer.EndObject();
  }
  writer.EndArray();
  writeKey(writer, "metadata");
  writer.StartObject();
  if (metadata.timestamp) {
    writeKey(writer, "timestamp");
    const std::string text = formatTimestamp(*metadata.timestamp);
    writer.String(text.data(), static_cast<rj::SizeType>(text.size()));
  }
  const auto optional = [&](const char* name, rj::SizeType nameLength,
                            const std::optional<std::string>& value) {
    if (!value) return;
    writer.Key(name, nameLength);
    writeString(writer, *value, name);
  };
  optional("correlationId", 13, metadata.correlationId);
  optional("causationId", 11, metadata.causationId);
  optional("operationId", 11, metadata.operationId);
  optional("userId", 6, metadata.userId);
  writer.EndObject();
  writer.EndObject();
  buffer.Put('\n');
  return std::string(buffer.GetString(), buffer.GetSize());
}

SequencedEvent JsonSerializer::deserialize(std::string_view bytes) const {
  SequencedEvent event;
  EventReader handler(event);
  rj::MemoryStream stream(bytes.data(), bytes.size());
  rj::Reader reader;
  const rj::ParseResult result = reader.Parse<kParseFlags>(stream, handler);
  if (!result) {
    if (result.Code() == rj::kParseErrorTermination && !handler.error().empty()) {
      throw CorruptionError("invalid event file: " + handler.error() + " (at byte " +
                            std::to_string(result.Offset()) + ")");
    }
    throw CorruptionError("invalid event file: " + parseErrorMessage(result));
  }
  // The reader stops at a NUL byte as if the input ended there.
  if (stream.Tell() != bytes.size()) {
    throw CorruptionError("invalid event file: unexpected data after the event object (at byte " +
                          std::to_string(stream.Tell()) + ")");
  }
  event.event.event.assign(handler.payload());
  return event;
}

std::string formatTimestamp(Timestamp time) {
  using namespace std::chrono;
  const std::int64_t nanos = duration_cast<nanoseconds>(time.time_since_epoch()).count();
  // Floor division so that instants before 1970 land on the right day.
  std::int64_t day = nanos / kNanosPerDay;
  std::int64_t inDay = nanos % kNanosPerDay;
  if (inDay < 0) {
    inDay += kNanosPerDay;
    --day;
  }
  const year_month_day date{sys_days{days{day}}};
  const std::int64_t seconds = inDay / kNanosPerSecond;
  // "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"
  std::string out(30, '\0');
  char* p = out.data();
  putDigits(p, static_cast<int>(date.year()), 4);
  p[4] = '-';
  putDigits(p + 5, static_cast<unsigned>(date.month()), 2);
  p[7] = '-';
  putDigits(p + 8, static_cast<unsigned>(date.day()), 2);
  p[10] = 'T';
  putDigits(p + 11, seconds / 3600, 2);
  p[13] = ':';
  putDigits(p + 14, seconds / 60 % 60, 2);
  p[16] = ':';
  putDigits(p + 17, seconds % 60, 2);
  p[19] = '.';
  putDigits(p + 20, inDay % kNanosPerSecond, 9);
  p[29] = 'Z';
  return out;
}

Timestamp parseTimestamp(std::string_view text) {
  using namespace std::chrono;
  const auto bad = [&](const char* why) -> CorruptionError {
    return CorruptionError("invalid timestamp " + quoted(text) + " (" + why +
                           "; expected YYYY-MM-DDTHH:MM:SS.fffffffffZ)");
  };
  const int y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2);
  const int h = digits(text, 11, 2), mi = digits(text, 14, 2), s = digits(text, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0 || text[4] != '-' || text[7] != '-' ||
      text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    throw bad("malformed");
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                            day{static_cast<unsigned>(d)}};
  if (!date.ok() || h > 23 || mi > 59 || s > 59) throw bad("out of range");
  std::size_t at = 19;
  std::int64_t fraction = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    std::int64_t scale = kNanosPerSecond;
    const std::size_t start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (at - start == 9) throw bad("more than 9 fractional digits");
      scale /= 10;
      fraction += (text[at] - '0') * scale;
      ++at;
    }
    if (at == start) throw bad("no fractional digits after '.'");
  }
  if (at + 1 != text.size() || text[at] != 'Z') throw bad("must end with 'Z'");
  const __int128 total =
      static_cast<__int128>(sys_days{date}.time_since_epoch().count()) * kNanosPerDay +
      static_cast<__int128>(h * 3600 + mi * 60 + s) * kNanosPerSecond + fraction;
  if (total < std::numeric_limits<std::int64_t>::min() ||
      total > std::numeric_limits<std::int64_t>::max()) {
    throw bad("outside the range of the clock");
  }
  return Timestamp{
      duration_cast<Timestamp::duration>(nanoseconds{static_cast<std::int64_t>(total)})};
}

}  // namespace opossum::plugins::json
