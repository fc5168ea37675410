#include "opossum/sdk/maintenance.hpp"

#include <algorithm>
#include <iterator>
#include <set>

namespace opossum::sdk {

std::string listPositions(const std::vector<Position>& positions) {
  std::string out;
  for (std::size_t i = 0; i < positions.size() && i < 10; ++i) {
    out += (i ? " " : "") + std::to_string(positions[i]);
  }
  if (positions.size() > 10) out += " ... (" + std::to_string(positions.size()) + " in all)";
  return out;
}

ExpectedLists expectedLists(std::span<const std::optional<IndexedEvent>> events) {
  ExpectedLists lists;
  for (const auto& event : events) {
    if (!event) continue;
    lists.types[event->eventType].push_back(event->position);
    std::set<Tag> seen;
    for (const auto& tag : event->tags) {
      if (seen.insert(tag).second) lists.tags[tag].push_back(event->position);
    }
  }
  return lists;
}

void compareLists(std::vector<Problem>& problems, const std::string& item, const std::string& what,
                  const std::vector<Position>& expected, std::vector<Position> got,
                  std::span<const std::optional<IndexedEvent>> events) {
  const Position head = events.size();
  std::erase_if(got, [&](Position p) { return p >= 1 && p <= head && !events[p - 1]; });
  std::vector<Position> missing, extra, beyond;
  std::set_difference(expected.begin(), expected.end(), got.begin(), got.end(),
                      std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), expected.begin(), expected.end(),
                      std::back_inserter(extra));
  std::erase_if(extra, [&](Position p) {
    if (p <= head) return false;
    beyond.push_back(p);
    return true;
  });
  const std::string prefix = what.empty() ? "" : what + ": ";
  if (!missing.empty()) {
    problems.push_back(
        {item, missing.front(), prefix + "lacks positions " + listPositions(missing)});
  }
  if (!extra.empty()) {
    problems.push_back(
        {item, extra.front(),
         prefix + "lists positions whose events do not match: " + listPositions(extra)});
  }
  if (!beyond.empty()) {
    problems.push_back({item, beyond.front(),
                        prefix + "lists positions after the committed head " +
                            std::to_string(head) + ": " + listPositions(beyond)});
  }
}

}  // namespace opossum::sdk
