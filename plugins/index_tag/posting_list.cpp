#include "posting_list.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <limits>
#include <optional>

#include "line_format.hpp"
#include "opossum/errors.hpp"

namespace opossum::plugins::tag_index {

PostingSpan window(const std::vector<Position>& list, Position from, Position bound) {
  if (bound <= from) return {};
  auto lo = std::upper_bound(list.begin(), list.end(), from);
  auto hi = std::upper_bound(lo, list.end(), bound);
  return PostingSpan(lo, hi);
}

namespace {

// Walks one list in output order. `Before` is std::less for ascending output (plain iterators)
// and std::greater for descending output (reverse iterators).
template <class It, class Before>
class Cursor {
 public:
  Cursor(It begin, It end) : cur_(begin), end_(end) {}

  // The first remaining element not before `x`, skipping what comes before it.
  std::optional<Position> seek(Position x) {
    Before before;
    if (cur_ == end_) return std::nullopt;
    if (!before(*cur_, x)) return *cur_;
    // Gallop, then binary search the last gap, so skipping k elements costs O(log k).
    It prev = cur_;
    std::ptrdiff_t step = 1;
    while (end_ - prev > step && before(prev[step], x)) {
      prev += step;
      step *= 2;
    }
    It hi = end_ - prev > step ? prev + step : end_;
    cur_ = std::lower_bound(prev + 1, hi, x, before);
    if (cur_ == end_) return std::nullopt;
    return *cur_;
  }

 private:
  It cur_;
  It end_;
};

template <class It, class Before>
class ItemCursor {
 public:
  std::vector<Cursor<It, Before>> types;
  std::vector<Cursor<It, Before>> tags;

  // The first match of the item not before `x`.
  std::optional<Position> seek(Position x) {
    Before before;
    Position candidate = x;
    while (true) {
      std::optional<Position> found;
      if (!types.empty()) {
        for (auto& cursor : types) {
          auto next = cursor.seek(candidate);
          if (next && (!found || before(*next, *found))) found = next;
        }
      } else {
        found = tags.front().seek(candidate);
      }
      if (!found) return std::nullopt;
      bool agreed = true;
      for (auto& cursor : tags) {
        auto next = cursor.seek(*found);
        if (!next) return std::nullopt;
        if (*next != *found) {
          candidate = *next;
          agreed = false;
          break;
        }
      }
      if (agreed) return found;
    }
  }
};

template <class It, class Before, class MakeCursor>
std::vector<Position> merge(const std::vector<ItemSpans>& items, std::size_t maxCount,
                            Position first, MakeCursor makeCursor) {
  Before before;
  std::vector<Position> result;
  // One list alone (read by type, or by one tag): copy it.
  if (items.size() == 1 && items[0].types.size() + items[0].tags.size() == 1) {
    auto span = items[0].types.empty() ? items[0].tags[0] : items[0].types[0];
    auto cursor = makeCursor(span);
    std::size_t n = std::min(maxCount, span.size());
    result.reserve(n);
    for (It it = cursor.first; n > 0; --n, ++it) result.push_back(*it);
    return result;
  }

  std::vector<ItemCursor<It, Before>> cursors(items.size());
  std::vector<std::optional<Position>> current(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    for (auto span : items[i].types) {
      auto range = makeCursor(span);
      cursors[i].types.emplace_back(range.first, range.second);
    }
    for (auto span : items[i].tags) {
      auto range = makeCursor(span);
      cursors[i].tags.emplace_back(range.first, range.second);
    }
    current[i] = cursors[i].seek(first);
  }
  while (result.size() < maxCount) {
    std::optional<Position> best;
    for (const auto& c : current) {
      if (c && (!best || before(*c, *best))) best = c;
    }
    if (!best) break;
    result.push_back(*best);
    // The position after `best` in output order; positions are >= 1, so best - 1 cannot wrap.
    Position next = before(0, 1) ? *best + 1 : *best - 1;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (current[i] == best) current[i] = cursors[i].seek(next);
    }
  }
  return result;
}

}  // namespace

std::vector<Position> evaluate(const std::vector<ItemSpans>& items, bool descending,
                               std::size_t maxCount) {
  if (items.empty() || maxCount == 0) return {};
  if (descending) {
    using It = std::reverse_iterator<const Position*>;
    return merge<It, std::greater<Position>>(
        items, maxCount, std::numeric_limits<Position>::max(), [](PostingSpan span) {
          return std::pair<It, It>(It(span.data() + span.size()), It(span.data()));
        });
  }
  using It = const Position*;
  return merge<It, std::less<Position>>(items, maxCount, 0, [](PostingSpan span) {
    return std::pair<It, It>(span.data(), span.data() + span.size());
  });
}

std::vector<Position> positionRange(Position from, Position bound, bool descending,
                                    std::size_t maxCount) {
  std::vector<Position> result;
  if (bound <= from || maxCount == 0) return result;
  Position n = std::min<Position>(bound - from, maxCount);
  result.reserve(n);
  for (Position i = 0; i < n; ++i) result.push_back(descending ? bound - i : from + 1 + i);
  return result;
}

std::vector<Position> parsePostingFile(std::string_view content, std::string_view header,
                                       Position bound, const std::filesystem::path& path) {
  std::vector<Position> result;
  std::size_t headerEnd = content.find('\n');
  if (headerEnd == std::string_view::npos) return result;  // empty, or a header being written
  if (content.substr(0, headerEnd + 1) != header) {
    throw CorruptionError(
        "index file '" + path.string() + "' does not belong here: its first line is '" +
        std::string(content.substr(0, std::min<std::size_t>(headerEnd, 300))) + "', expected '" +
        std::string(header.substr(0, header.size() - 1)) + "' (another format, version or name)");
  }
  std::size_t at = headerEnd + 1;
  std::optional<std::size_t> garbageAt;
  bool beyondBound = false;
  while (at < content.size()) {
    std::size_t end = content.find('\n', at);
    if (end == std::string_view::npos) break;  // a torn last line
    auto entry = parsePosition(content.substr(at, end - at));
    if (!entry) {
      if (!garbageAt) garbageAt = at;
    } else if (*entry <= bound) {
      if (garbageAt || beyondBound || (!result.empty() && *entry <= result.back())) {
        throw CorruptionError("index file '" + path.string() + "' is damaged at offset " +
                              std::to_string(garbageAt ? *garbageAt : at) +
                              ": entries are not ascending decimal positions");
      }
      result.push_back(*entry);
    } else {
      beyondBound = true;
    }
    at = end + 1;
  }
  return result;
}

}  // namespace opossum::plugins::tag_index
