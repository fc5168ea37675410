// The text lines of the index files: decimal positions in the posting lists and JSON array lines
// in the positions file, e.g. [12,"ItemAdded",[["cart","c1"]]].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "opossum/sdk/file_system.hpp"
#include "opossum/sdk/index.hpp"

namespace opossum::plugins::tag_index {

// Appends `text` as a JSON string literal (quotes, backslashes and control characters escaped;
// other bytes kept as they are).
void appendJsonString(std::string& out, std::string_view text);

// Decimal digits only (leading zeros allowed), nullopt when empty, another character or too big.
std::optional<Position> parseDigits(std::string_view text);
// A position line without its '\n': decimal digits only, no sign, no leading zero.
std::optional<Position> parsePosition(std::string_view text);

// Appends "[position,type,[[key,value],...]]\n".
void appendPositionLine(std::string& out, const sdk::IndexedEvent& event);
// Parses one positions-file line without its '\n'; nullopt when it is not well formed.
std::optional<sdk::IndexedEvent> parsePositionLine(std::string_view line);

// Reads the lines of a file region from its end towards its start.
class TailReader {
 public:
  TailReader(sdk::ReadableFile& file, std::uint64_t begin, std::uint64_t end);
  // The line before the previously returned one, with its '\n' when it has one (only the last
  // line of the region can lack it). `start` receives its offset. False at the region's start.
  bool previous(std::string& line, std::uint64_t& start);

 private:
  void fill();

  sdk::ReadableFile& file_;
  std::uint64_t begin_;
  std::uint64_t end_;       // end of the part not returned yet
  std::uint64_t bufStart_;  // buf_ holds [bufStart_, end_)
  std::string buf_;
};

}  // namespace opossum::plugins::tag_index
