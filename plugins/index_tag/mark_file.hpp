// The "posted" mark of the tag index (positions/posted.mark): how far the posting files are
// complete (P) and how far a materialize() may have written them (W). Its first line has a fixed
// length and a CRC, so it is rewritten in place and a reader racing the write can tell.
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "opossum/types.hpp"

namespace opossum::plugins::tag_index {

// W when nothing tells how far posting files were written (a blank mark beside posting files).
inline constexpr Position kUnknownPosition = std::numeric_limits<Position>::max();

struct Mark {
  Position posted = 0;   // P: every posting file holds exactly its entries <= P
  Position writing = 0;  // W: no posting file holds an entry > W; P == W when idle
  bool operator==(const Mark&) const = default;
};

// "opossum-tag-index 2 posted <P> <W> <crc>\n": P and W as 20 decimal digits, crc as 8 lowercase
// hex digits of the CRC-32 of everything before the space that precedes it.
std::string formatMarkLine(const Mark& mark);
inline constexpr std::size_t kMarkLineSize = 78;

enum class MarkStatus {
  valid,
  blank,   // empty or NUL bytes only: created but never written back (a power loss)
  damaged  // anything else: torn by a racing write, or corrupt
};
struct MarkRead {
  MarkStatus status = MarkStatus::blank;
  Mark mark;
};
// Parses the start of a mark file; bytes after the first line are ignored.
MarkRead parseMark(std::string_view content);

}  // namespace opossum::plugins::tag_index
