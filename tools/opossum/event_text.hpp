// Events as text: one readable line each (plain output), or one JSON line each (--json, export,
// import, append input). JSON lines use the opossum-json event format (plugins/serializer_json),
// written and read by the json serializer plugin, so payload numbers keep their exact text and
// timestamps their nanoseconds whatever serializer the store itself uses.
#pragma once

#include <cstddef>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "opossum/errors.hpp"
#include "opossum/sdk/serializer.hpp"
#include "opossum/types.hpp"

namespace opossum::cli {

class EventCodec {
 public:
  // `json`: the "json" serializer (the plugin, or its class where it is linked in).
  explicit EventCodec(std::shared_ptr<sdk::Serializer> json);

  // {"position":..,"eventType":..,"event":{..},"tags":[..],"metadata":{..}} without newline.
  std::string toJsonLine(const SequencedEvent& event) const;
  // Parses one line. Without `requirePosition` the position may be left out (it reads as 0).
  // InvalidArgumentError saying what is wrong.
  SequencedEvent fromJsonLine(std::string_view line, bool requirePosition) const;

 private:
  std::shared_ptr<sdk::Serializer> json_;
};

// A line of NDJSON input that cannot be an event. The message names the input, the 1-based line
// number and what is wrong with the line.
class InputLineError : public InvalidArgumentError {
 public:
  InputLineError(const std::string& source, std::size_t line, const std::string& what);
  std::size_t line() const { return line_; }
  // What is wrong, without the input and line.
  const std::string& reason() const { return reason_; }

 private:
  std::size_t line_;
  std::string reason_;
};

// The events of NDJSON input (append, import), one per line; blank lines are skipped. Each event
// is checked as an append would check it, so a bad line is found, by its number, before anything
// is written rather than as "event N" of some batch.
class EventLineReader {
 public:
  // `source` names the input in messages: "input file 'x.ndjson'" or "standard input".
  EventLineReader(const EventCodec& codec, std::istream& in, std::string source,
                  bool requirePosition);

  // The next event, or nullopt at the end of the input. InputLineError for a bad line; IoError
  // when the input cannot be read.
  std::optional<SequencedEvent> next();
  // The line of the event `next` returned last.
  std::size_t line() const { return line_; }
  const std::string& source() const { return source_; }

 private:
  const EventCodec& codec_;
  std::istream& in_;
  std::string source_;
  bool requirePosition_;
  std::size_t line_ = 0;
};

// "1  2026-03-01T09:00:00.000Z  CartOpened  cart=C1 customer=ann  {"customer":"ann"}" and, when
// set, the other metadata fields at the end.
std::string plainLine(const SequencedEvent& event);
// UTC ISO-8601 with `digits` fractional digits (0..9) and 'Z'.
std::string formatTimestamp(Timestamp timestamp, int digits);
// A tag as the plain output and the query syntax show it: key=value, each part as a JSON string
// when it holds anything but letters, digits and _-.:@/+.
std::string plainTag(const Tag& tag);

}  // namespace opossum::cli
