#include "index_check.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <sstream>

#include "index_file_names.hpp"
#include "line_format.hpp"
#include "mark_file.hpp"
#include "opossum/errors.hpp"
#include "posting_list.hpp"

namespace opossum::plugins::tag_index {

namespace fs = std::filesystem;

namespace {

class Check {
 public:
  Check(sdk::FileSystem& files, fs::path directory,
        std::span<const std::optional<sdk::IndexedEvent>> events)
      : files_(files), dir_(std::move(directory)), events_(events), head_(events.size()) {}

  std::vector<sdk::Problem> run() {
    checkMark();
    checkPositionsFile();
    auto lists = sdk::expectedLists(events_);
    std::set<fs::path> known;
    for (const auto& [type, expected] : lists.types) {
      auto relative = typeFilePath(type);
      known.insert(relative);
      checkListFile(relative, typeHeader(type), expected);
    }
    for (const auto& [tag, expected] : lists.tags) {
      auto relative = tagFilePath(tag);
      known.insert(relative);
      checkListFile(relative, tagHeader(tag), expected);
    }
    // Lists of no committed type or tag.
    for (const auto& folder : {kTypesFolder, kTagsFolder}) {
      std::vector<fs::path> strays;
      for (const auto& name : files_.listDirectory(dir_ / folder)) {
        fs::path relative = folder / name;
        if (known.count(relative) == 0 && !onlyUnreadable(relative)) strays.push_back(relative);
      }
      std::sort(strays.begin(), strays.end());
      for (const auto& relative : strays) {
        add(relative.string(), std::nullopt, "no committed event has the type or tag of this list");
      }
    }
    return std::move(problems_);
  }

 private:
  void add(std::string item, std::optional<Position> position, std::string message) {
    problems_.push_back({std::move(item), position, std::move(message)});
  }
  bool unreadable(Position p) const { return p >= 1 && p <= head_ && !events_[p - 1]; }

  void checkMark() {
    auto content = files_.readFile(dir_ / kMarkFile);
    if (!content) return;  // a missing mark is rebuilt by the next materialize
    auto read = parseMark(*content);
    if (read.status == MarkStatus::damaged) {
      add(kMarkFile.string(), std::nullopt,
          "damaged (its first line is not a mark with a valid checksum)");
    } else if (read.status == MarkStatus::valid && read.mark.posted > head_) {
      add(kMarkFile.string(), read.mark.posted,
          "says the lists are written up to position " + std::to_string(read.mark.posted) +
              ", after the committed head " + std::to_string(head_));
    }
  }

  void checkPositionsFile() {
    const std::string file = kPositionsFile.string();
    auto content = files_.readFile(dir_ / kPositionsFile);
    if (!content) {
      if (head_ > 0) add(file, std::nullopt, "missing");
      return;
    }
    const std::string header = positionsHeader();
    if (content->compare(0, header.size(), header) != 0) {
      add(file, std::nullopt, "does not start with '" + header.substr(0, header.size() - 1) + "'");
      return;
    }
    std::size_t at = header.size();
    Position last = 0;
    while (at < content->size()) {
      std::size_t end = content->find('\n', at);
      if (end == std::string::npos) {
        add(file, last + 1, "ends with a torn line after position " + std::to_string(last));
        break;
      }
      auto line = parsePositionLine(std::string_view(*content).substr(at, end - at));
      at = end + 1;
      if (!line) {
        add(file, last + 1, "damaged line after position " + std::to_string(last));
        return;
      }
      if (line->position != last + 1) {
        add(file, line->position,
            "line of position " + std::to_string(line->position) + " follows position " +
                std::to_string(last));
        return;
      }
      last = line->position;
      if (last > head_) {
        add(file, last,
            "lists positions after the committed head " + std::to_string(head_) + " (from " +
                std::to_string(last) + ")");
        return;
      }
      const auto& event = events_[last - 1];
      if (!event) continue;
      // A tag migration adds tags to the events and lists, not to this file: its tags are the
      // event's first ones.
      bool tagsAgree = line->tags.size() <= event->tags.size() &&
                       std::equal(line->tags.begin(), line->tags.end(), event->tags.begin());
      if (line->eventType != event->eventType || !tagsAgree) {
        add(file, last,
            "the line of position " + std::to_string(last) + " does not match the event (type '" +
                line->eventType + "')");
      }
    }
    if (last < head_) {
      add(file, last + 1,
          "ends at position " + std::to_string(last) + ", the committed head is " +
              std::to_string(head_));
    }
  }

  void checkListFile(const fs::path& relative, const std::string& header,
                     const std::vector<Position>& expected) {
    const std::string file = relative.string();
    auto content = files_.readFile(dir_ / relative);
    if (!content) {
      add(file, expected.empty() ? std::nullopt : std::optional<Position>(expected.front()),
          "missing (should list " + sdk::listPositions(expected) + ")");
      return;
    }
    std::vector<Position> got;
    try {
      got =
          parsePostingFile(*content, header, std::numeric_limits<Position>::max(), dir_ / relative);
    } catch (const Error& e) {
      add(file, std::nullopt, e.what());
      return;
    }
    std::string canonical = header;
    for (Position p : got) canonical += std::to_string(p) + "\n";
    if (*content != canonical) {
      add(file, std::nullopt,
          content->size() > canonical.size() &&
                  content->compare(0, canonical.size(), canonical) == 0
              ? "has a torn line or garbage after its last entry"
              : "is damaged (its header or lines are not what the index writes)");
    }
    sdk::compareLists(problems_, file, "", expected, std::move(got), events_);
  }

  // Whether every entry of a list file is the position of an event that could not be read (so
  // the list is explained by that event).
  bool onlyUnreadable(const fs::path& relative) const {
    auto content = files_.readFile(dir_ / relative);
    if (!content) return false;
    std::istringstream lines(*content);
    std::string line;
    std::getline(lines, line);  // header
    bool any = false;
    while (std::getline(lines, line)) {
      auto p = parsePosition(line);
      if (!p || !unreadable(*p)) return false;
      any = true;
    }
    return any;
  }

  sdk::FileSystem& files_;
  fs::path dir_;
  std::span<const std::optional<sdk::IndexedEvent>> events_;
  Position head_;
  std::vector<sdk::Problem> problems_;
};

}  // namespace

std::vector<sdk::Problem> TagIndexCheck::checkFiles(
    std::span<const std::optional<sdk::IndexedEvent>> events) {
  return Check(*files_, directory_, events).run();
}

}  // namespace opossum::plugins::tag_index
