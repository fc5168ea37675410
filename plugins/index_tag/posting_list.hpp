// Posting lists: the sorted positions of one event type or tag, as held in memory and as stored
// in an .idx file, and the evaluation of a query over them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "opossum/types.hpp"

namespace opossum::plugins::tag_index {

using PostingSpan = std::span<const Position>;

// The entries of `list` in (from, bound].
PostingSpan window(const std::vector<Position>& list, Position from, Position bound);

// One query item's lists, already cut to the window: the event types (OR; empty means any type)
// and the tags (AND). An item must have at least one list.
struct ItemSpans {
  std::vector<PostingSpan> types;
  std::vector<PostingSpan> tags;
};

// The union of the items' matches, in ascending or descending order, at most `maxCount`. Work is
// proportional to the result and to logarithms of the list lengths (galloping search), not to
// the lengths themselves.
std::vector<Position> evaluate(const std::vector<ItemSpans>& items, bool descending,
                               std::size_t maxCount);

// Every position in (from, bound], in the requested order, at most `maxCount`.
std::vector<Position> positionRange(Position from, Position bound, bool descending,
                                    std::size_t maxCount);

// Parses the content of an .idx file whose first line must be `header`. Entries above `bound`
// belong to an append in flight and are left out, as are a torn last line and garbage after the
// last entry <= bound. Throws CorruptionError (naming `path`) for a foreign header, entries out of
// order, or garbage before an entry <= bound. An empty file or a torn header gives no entries.
std::vector<Position> parsePostingFile(std::string_view content, std::string_view header,
                                       Position bound, const std::filesystem::path& path);

}  // namespace opossum::plugins::tag_index
