// Events as text: one readable line each (plain output), or one JSON line each (--json, export,
// import, append input). JSON lines use the opossum-json event format (plugins/serializer_json),
// written and read by the json serializer plugin, so payload numbers keep their exact text and
// timestamps their nanoseconds whatever serializer the store itself uses.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "config.hpp"
#include "opossum/sdk/serializer.hpp"
#include "opossum/types.hpp"

namespace opossum::cli {

class EventCodec {
 public:
  explicit EventCodec(const detail::StoreConfig& config);

  // {"position":..,"eventType":..,"event":{..},"tags":[..],"metadata":{..}} without newline.
  std::string toJsonLine(const SequencedEvent& event) const;
  // Parses one line. Without `requirePosition` the position may be left out (it reads as 0).
  // InvalidArgumentError saying what is wrong.
  SequencedEvent fromJsonLine(std::string_view line, bool requirePosition) const;

 private:
  std::shared_ptr<sdk::Serializer> json_;
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
