#include "list_registry.hpp"

#include <limits>

#include "index_file_names.hpp"
#include "line_format.hpp"

namespace opossum::plugins::tag_index {

std::string listsHeader() {
  return std::string(kFormatName) + " " + std::to_string(kFormatVersion) + " lists\n";
}

std::string formatListRecord(Position first, const std::filesystem::path& relative) {
  return std::to_string(first) + " " + relative.generic_string() + "\n";
}

std::optional<std::pair<Position, std::string>> parseListRecord(std::string_view line) {
  auto space = line.find(' ');
  if (space == std::string_view::npos || space + 1 == line.size()) return std::nullopt;
  auto first = parsePosition(line.substr(0, space));
  if (!first) return std::nullopt;
  return std::make_pair(*first, std::string(line.substr(space + 1)));
}

std::string formatCountRecord(const ListCount& count, const std::filesystem::path& relative) {
  return "#" + std::to_string(count.mark) + " " + std::to_string(count.count) + " " +
         relative.generic_string() + "\n";
}

std::optional<std::pair<ListCount, std::string>> parseCountRecord(std::string_view line) {
  if (line.empty() || line.front() != '#') return std::nullopt;
  line.remove_prefix(1);
  auto space = line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto mark = parsePosition(line.substr(0, space));
  line.remove_prefix(space + 1);
  space = line.find(' ');
  if (!mark || space == std::string_view::npos || space + 1 == line.size()) return std::nullopt;
  // A count of 0 is valid here, unlike a position.
  auto count = line.substr(0, space) == "0" ? std::optional<Position>(0)
                                            : parsePosition(line.substr(0, space));
  if (!count) return std::nullopt;
  return std::make_pair(ListCount{*mark, *count}, std::string(line.substr(space + 1)));
}

ListRegistry::ListRegistry(std::shared_ptr<sdk::FileSystem> files, std::filesystem::path path)
    : files_(std::move(files)), path_(std::move(path)) {}

bool ListRegistry::exists() {
  std::lock_guard guard(mutex_);
  return existsLocked();
}

bool ListRegistry::existsLocked() {
  return reader_ != nullptr || files_->fileSize(path_).has_value();
}

std::optional<Position> ListRegistry::first(const std::filesystem::path& relative) {
  std::lock_guard guard(mutex_);
  catchUpLocked();
  auto it = first_.find(relative.generic_string());
  if (it == first_.end()) return std::nullopt;
  return it->second;
}

void ListRegistry::catchUpLocked() {
  if (reader_ && reader_->replaced()) forgetLocked();  // rewritten by a recovery elsewhere
  if (!reader_) {
    reader_ = files_->openReadable(path_);
    if (!reader_) return;
    offset_ = 0;
  }
  const std::uint64_t size = reader_->size();
  if (size <= offset_) return;
  std::string data = reader_->readAt(offset_, size - offset_);
  std::size_t at = 0;
  for (;;) {
    std::size_t end = data.find('\n', at);
    if (end == std::string::npos) break;  // a record being written
    std::string_view line(data.data() + at, end - at);
    // A damaged record only weakens the check; it must never make the index refuse to answer.
    if (auto counted = parseCountRecord(line)) {
      counts_[counted->second] = counted->first;
    } else if (auto record = parseListRecord(line)) {
      first_[record->second] = record->first;
    }
    at = end + 1;
  }
  offset_ += at;
}

std::vector<std::optional<ListCount>> ListRegistry::counts(
    const std::vector<std::filesystem::path>& relatives) {
  std::lock_guard guard(mutex_);
  catchUpLocked();
  std::vector<std::optional<ListCount>> found;
  found.reserve(relatives.size());
  for (const auto& relative : relatives) {
    auto it = counts_.find(relative.generic_string());
    found.push_back(it == counts_.end() ? std::nullopt : std::optional<ListCount>(it->second));
  }
  return found;
}

void ListRegistry::recordCounts(
    const std::vector<std::pair<ListCount, std::filesystem::path>>& counts) {
  if (counts.empty()) return;
  std::string lines;
  for (const auto& [count, relative] : counts) lines += formatCountRecord(count, relative);
  append(std::move(lines));
}

void ListRegistry::record(const std::vector<std::pair<Position, std::filesystem::path>>& lists) {
  if (lists.empty()) return;
  std::string lines;
  for (const auto& [first, relative] : lists) lines += formatListRecord(first, relative);
  append(std::move(lines));
}

void ListRegistry::append(std::string lines) {
  std::lock_guard guard(mutex_);
  files_->createDirectories(path_.parent_path());
  auto writer = files_->openWritable(path_, sdk::OpenMode::append);
  if (writer->size() == 0) lines.insert(0, listsHeader());
  writer->append(lines);
}

void ListRegistry::keepUpTo(Position bound) {
  std::lock_guard guard(mutex_);
  rewriteLocked(bound, true);
}

void ListRegistry::dropCounts() {
  std::lock_guard guard(mutex_);
  rewriteLocked(std::numeric_limits<Position>::max(), false);
}

void ListRegistry::rewriteLocked(Position bound, bool counts) {
  if (!existsLocked()) return;
  forgetLocked();
  catchUpLocked();
  std::string text = listsHeader();
  bool dropped = false;
  for (const auto& [path, first] : first_) {
    if (first <= bound) {
      text += formatListRecord(first, path);
    } else {
      dropped = true;
    }
  }
  for (const auto& [path, count] : counts_) {
    if (counts && count.mark <= bound) {
      text += formatCountRecord(count, path);
    } else {
      dropped = true;
    }
  }
  if (!dropped) return;
  files_->replaceFile(path_, text, false);
  forgetLocked();
}

void ListRegistry::forget() {
  std::lock_guard guard(mutex_);
  forgetLocked();
}

void ListRegistry::forgetLocked() {
  reader_.reset();
  offset_ = 0;
  first_.clear();
  counts_.clear();
}

}  // namespace opossum::plugins::tag_index
