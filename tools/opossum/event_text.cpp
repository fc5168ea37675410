#include "event_text.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "opossum/errors.hpp"
#include "opossum/event_store.hpp"
#include "opossum/sdk/nesting.hpp"

namespace opossum::cli {

namespace {

bool plainWord(const std::string& text) {
  for (unsigned char c : text) {
    if (!std::isalnum(c) &&
        std::string_view("_-.:@/+").find(static_cast<char>(c)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string jsonString(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string word(const std::string& text) { return plainWord(text) ? text : jsonString(text); }

}  // namespace

EventCodec::EventCodec(std::shared_ptr<sdk::Serializer> json) : json_(std::move(json)) {}

std::string EventCodec::toJsonLine(const SequencedEvent& event) const {
  std::string text = json_->serialize(event);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

SequencedEvent EventCodec::fromJsonLine(std::string_view line, bool requirePosition) const {
  // The DOM below recurses per level while parsing and destroying; the payload sits one level
  // inside the line.
  if (sdk::jsonNestsDeeperThan(line, sdk::kMaxNestingDepth + 1)) {
    throw InvalidArgumentError("the event payload nests arrays and objects deeper than " +
                               std::to_string(sdk::kMaxNestingDepth) + " levels");
  }
  rapidjson::Document doc;
  doc.Parse(line.data(), line.size());
  if (doc.HasParseError()) {
    throw InvalidArgumentError(std::string("not valid JSON: ") +
                               rapidjson::GetParseError_En(doc.GetParseError()) + " (at byte " +
                               std::to_string(doc.GetErrorOffset()) + ")");
  }
  if (!doc.IsObject()) throw InvalidArgumentError("not a JSON object");
  std::string text(line);
  std::size_t insertedAt = text.size();
  std::size_t inserted = 0;
  if (!doc.HasMember("position")) {
    if (requirePosition) throw InvalidArgumentError("member 'position' is missing");
    // The event file format requires a position; append assigns the real one. It goes last, so
    // only an offset at the very end needs mapping back to the line as given.
    const std::string member = doc.MemberCount() == 0 ? "\"position\":0" : ",\"position\":0";
    insertedAt = text.rfind('}');
    inserted = member.size();
    text.insert(insertedAt, member);
  }
  try {
    return json_->deserialize(text);
  } catch (const CorruptionError& e) {
    // The serializer speaks of an event file; here the input is a line.
    std::string what = e.what();
    constexpr std::string_view kFilePrefix = "invalid event file: ";
    if (what.rfind(kFilePrefix, 0) == 0) what.erase(0, kFilePrefix.size());
    constexpr std::string_view kAtByte = " (at byte ";
    const std::size_t at = what.rfind(kAtByte);
    std::size_t offset = 0;
    if (inserted != 0 && at != std::string::npos &&
        std::from_chars(what.data() + at + kAtByte.size(), what.data() + what.size(), offset).ec ==
            std::errc{}) {
      if (offset >= insertedAt) {
        what = what.substr(0, at) + std::string(kAtByte) +
               std::to_string(std::max(insertedAt, offset - inserted)) + ")";
      }
    }
    throw InvalidArgumentError(what);
  }
}

InputLineError::InputLineError(const std::string& source, std::size_t line, const std::string& what)
    : InvalidArgumentError(source + ", line " + std::to_string(line) + ": " + what),
      line_(line),
      reason_(what) {}

EventLineReader::EventLineReader(const EventCodec& codec, std::istream& in, std::string source,
                                 bool requirePosition)
    : codec_(codec), in_(in), source_(std::move(source)), requirePosition_(requirePosition) {}

std::optional<SequencedEvent> EventLineReader::next() {
  std::string text;
  while (std::getline(in_, text)) {
    ++line_;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      SequencedEvent event = codec_.fromJsonLine(text, requirePosition_);
      // The checks of append itself (type, tags, payload, metadata), with an empty prefix: the
      // line number says which event.
      normalizeEvent(NewEvent{event.event, event.metadata});
      return event;
    } catch (const InvalidArgumentError& e) {
      throw InputLineError(source_, line_, e.what());
    }
  }
  if (in_.bad()) {
    throw IoError("cannot read " + source_ + " after line " + std::to_string(line_));
  }
  return std::nullopt;
}

std::string formatTimestamp(Timestamp timestamp, int digits) {
  using namespace std::chrono;
  auto ns = duration_cast<nanoseconds>(timestamp.time_since_epoch()).count();
  auto seconds = ns / 1'000'000'000;
  auto fraction = ns % 1'000'000'000;
  if (fraction < 0) {
    fraction += 1'000'000'000;
    --seconds;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = date;
  if (digits > 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, "%09lld", static_cast<long long>(fraction));
    out += "." + std::string(frac, static_cast<std::size_t>(std::min(digits, 9)));
  }
  return out + "Z";
}

std::string plainTag(const Tag& tag) { return word(tag.key) + "=" + word(tag.value); }

std::string plainLine(const SequencedEvent& event) {
  std::string line = std::to_string(event.position) + "  ";
  line += event.metadata.timestamp ? formatTimestamp(*event.metadata.timestamp, 3) : "-";
  line += "  " + word(event.event.eventType) + "  ";
  if (event.event.tags.empty()) line += "-";
  for (std::size_t i = 0; i < event.event.tags.size(); ++i) {
    line += (i ? " " : "") + plainTag(event.event.tags[i]);
  }
  line += "  " + event.event.event;
  const Metadata& m = event.metadata;
  auto extra = [&](const char* name, const std::optional<std::string>& value) {
    if (value) line += std::string("  ") + name + "=" + word(*value);
  };
  extra("correlationId", m.correlationId);
  extra("causationId", m.causationId);
  extra("operationId", m.operationId);
  extra("userId", m.userId);
  return line;
}

}  // namespace opossum::cli
