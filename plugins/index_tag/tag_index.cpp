#include "tag_index.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <set>

#include "line_format.hpp"
#include "opossum/errors.hpp"
#include "opossum/sdk/options.hpp"

namespace opossum::plugins::tag_index {

namespace fs = std::filesystem;

namespace {

// Enough for a header of two 1,024-byte strings, even when every byte is escaped as \u00XX.
constexpr std::uint64_t kMaxHeader = 16384;

std::string_view withoutNewline(const std::string& line) {
  std::string_view view(line);
  if (!view.empty() && view.back() == '\n') view.remove_suffix(1);
  return view;
}

}  // namespace

TagIndex::TagIndex(const sdk::IndexContext& context)
    : directory_(context.directory), fileSystem_(context.fileSystem), logger_(context.logger) {
  sdk::OptionReader reader(context.options, "index plugin 'tag-index'");
  fullRecoveryScan_ = reader.getBool("fullRecoveryScan", false);
  reader.finish();
  if (!fileSystem_) throw InvalidArgumentError("index plugin 'tag-index': no file system given");
  if (directory_.empty())
    throw InvalidArgumentError("index plugin 'tag-index': no directory given");
}

std::string TagIndex::formatName() const { return std::string(kFormatName); }

int TagIndex::formatVersion() const { return kFormatVersion; }

bool TagIndex::isTypeLoaded(const std::string& eventType) const {
  std::shared_lock lock(mutex_);
  return types_.count(eventType) > 0;
}

bool TagIndex::isTagLoaded(const Tag& tag) const {
  std::shared_lock lock(mutex_);
  return tags_.count(tag) > 0;
}

// ---- queries ----

std::vector<Position> TagIndex::positions(const Query& query, const ReadOptions& options,
                                          Position head) {
  if (options.maxCount && *options.maxCount == 0) return {};
  {
    // The common case: nothing new committed and every list loaded; readers share the lock.
    std::shared_lock lock(mutex_);
    if (started_ && caughtUp_ >= head && loadedLocked(query)) {
      return answerLocked(query, options, head);
    }
  }
  std::unique_lock lock(mutex_);
  if (!started_) startLocked(head);
  catchUpLocked(head);
  loadLocked(query);
  return answerLocked(query, options, head);
}

bool TagIndex::loadedLocked(const Query& query) const {
  for (const auto& item : query.items()) {
    for (const auto& type : item.eventTypes) {
      if (types_.count(type) == 0) return false;
    }
    for (const auto& tag : item.tags) {
      if (tags_.count(tag) == 0) return false;
    }
  }
  return true;
}

std::optional<std::vector<ItemSpans>> TagIndex::collectLocked(const Query& query, Position from,
                                                              Position bound) const {
  std::vector<ItemSpans> items;
  items.reserve(query.items().size());
  for (const auto& item : query.items()) {
    ItemSpans spans;
    for (const auto& type : item.eventTypes) {
      auto it = types_.find(type);
      if (it == types_.end()) return std::nullopt;
      spans.types.push_back(window(it->second, from, bound));
    }
    for (const auto& tag : item.tags) {
      auto it = tags_.find(tag);
      if (it == tags_.end()) return std::nullopt;
      spans.tags.push_back(window(it->second, from, bound));
    }
    items.push_back(std::move(spans));
  }
  return items;
}

std::vector<Position> TagIndex::answerLocked(const Query& query, const ReadOptions& options,
                                             Position head) const {
  std::size_t maxCount = options.maxCount.value_or(std::numeric_limits<std::size_t>::max());
  Position from = options.fromPosition.value_or(0);
  // Never answer beyond what this index has seen of the positions file.
  Position bound = std::min(head, caughtUp_);
  bool everything = query.items().empty();
  for (const auto& item : query.items()) {
    if (item.eventTypes.empty() && item.tags.empty()) everything = true;
  }
  if (everything) return positionRange(from, bound, options.descending, maxCount);
  auto items = collectLocked(query, from, bound);
  return evaluate(*items, options.descending, maxCount);
}

void TagIndex::loadLocked(const Query& query) {
  for (const auto& item : query.items()) {
    for (const auto& type : item.eventTypes) {
      if (types_.count(type) > 0) continue;
      fs::path path = directory_ / typeFilePath(type);
      auto content = fileSystem_->readFile(path);
      types_.emplace(type, content ? parsePostingFile(*content, typeHeader(type), caughtUp_, path)
                                   : std::vector<Position>{});
    }
    for (const auto& tag : item.tags) {
      if (tags_.count(tag) > 0) continue;
      fs::path path = directory_ / tagFilePath(tag);
      auto content = fileSystem_->readFile(path);
      tags_.emplace(tag, content ? parsePostingFile(*content, tagHeader(tag), caughtUp_, path)
                                 : std::vector<Position>{});
    }
  }
}

// ---- following the positions file ----

TagIndex::Header TagIndex::readPositionsHeader(sdk::ReadableFile& file, std::uint64_t size) const {
  std::string expected = positionsHeader();
  std::string start = file.readAt(0, std::min<std::uint64_t>(size, expected.size()));
  if (start == expected) return Header{expected.size(), false};
  if (start.size() < expected.size() && expected.compare(0, start.size(), start) == 0) {
    return Header{0, true};
  }
  std::string shown = start.substr(0, start.find('\n'));
  throw CorruptionError("index file '" + file.path().string() + "' was not written by " +
                        std::string(kFormatName) + " version " + std::to_string(kFormatVersion) +
                        ": its first line starts with '" + shown + "'");
}

void TagIndex::startLocked(Position head) {
  // Nothing is loaded yet, so only the place of `head` in the positions file matters: lists
  // loaded later come from their own files. Lines after it belong to an append in flight.
  started_ = true;
  caughtUp_ = 0;
  offset_ = 0;
  auto file = fileSystem_->openReadable(positionsPath());
  if (!file) return;
  std::uint64_t size = file->size();
  Header header = readPositionsHeader(*file, size);
  if (header.torn) return;
  offset_ = header.end;
  TailReader reader(*file, header.end, size);
  std::string line;
  std::uint64_t start = 0;
  while (reader.previous(line, start)) {
    if (line.empty() || line.back() != '\n') continue;
    auto event = parsePositionLine(withoutNewline(line));
    if (event && event->position <= head) {
      caughtUp_ = event->position;
      offset_ = start + line.size();
      return;
    }
  }
}

void TagIndex::applyLocked(const sdk::IndexedEvent& event) {
  if (auto it = types_.find(event.eventType); it != types_.end()) {
    it->second.push_back(event.position);
  }
  for (const auto& tag : event.tags) {
    if (auto it = tags_.find(tag); it != tags_.end()) {
      if (it->second.empty() || it->second.back() != event.position) {
        it->second.push_back(event.position);
      }
    }
  }
}

void TagIndex::catchUpLocked(Position head) {
  if (caughtUp_ >= head) return;
  auto file = fileSystem_->openReadable(positionsPath());
  if (!file) return;
  std::uint64_t size = file->size();
  if (size < offset_) {
    // The file was replaced (the store was deleted and recreated): start over.
    types_.clear();
    tags_.clear();
    startLocked(head);
    return;
  }
  if (offset_ == 0) {
    Header header = readPositionsHeader(*file, size);
    if (header.torn) return;
    offset_ = header.end;
  }
  if (size == offset_) return;
  std::string data = file->readAt(offset_, size - offset_);
  std::size_t at = 0;
  while (caughtUp_ < head) {
    std::size_t end = data.find('\n', at);
    if (end == std::string::npos) break;  // a line being written
    auto event = parsePositionLine(std::string_view(data).substr(at, end - at));
    if (!event || event->position != caughtUp_ + 1) {
      if (event && event->position > head) break;
      throw CorruptionError("index file '" + positionsPath().string() + "' is damaged at offset " +
                            std::to_string(offset_ + at) + ": expected the line of position " +
                            std::to_string(caughtUp_ + 1));
    }
    if (event->position > head) break;
    applyLocked(*event);
    caughtUp_ = event->position;
    at = end + 1;
  }
  offset_ += at;
}

// ---- writing ----

void TagIndex::add(std::span<const sdk::IndexedEvent> events) {
  if (events.empty()) return;
  Position first = events.front().position;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (first == 0 || events[i].position != first + i) {
      throw InvalidArgumentError(
          "index plugin 'tag-index': event " + std::to_string(i) + " of the batch has position " +
          std::to_string(events[i].position) + ", expected " + std::to_string(first + i));
    }
  }
  std::unique_lock lock(mutex_);
  if (!started_) startLocked(first - 1);
  catchUpLocked(first - 1);
  if (caughtUp_ > first - 1) truncateAfterLocked(first - 1);  // re-adding after a failed append
  if (caughtUp_ < first - 1) {
    throw CorruptionError("index file '" + positionsPath().string() + "' ends at position " +
                          std::to_string(caughtUp_) + " but the next event has position " +
                          std::to_string(first));
  }

  fileSystem_->createDirectories(directory_ / kPositionsFile.parent_path());
  fileSystem_->createDirectories(directory_ / kTypesFolder);
  fileSystem_->createDirectories(directory_ / kTagsFolder);

  // The positions file first: recovery finds there which lists an interrupted append touched.
  std::string lines;
  for (const auto& event : events) appendPositionLine(lines, event);
  {
    auto file = fileSystem_->openWritable(positionsPath(), sdk::OpenMode::append);
    std::uint64_t size = file->size();
    if (size != offset_) {
      // Leftovers of an interrupted append that recovery did not remove.
      file.reset();
      truncateAfterLocked(first - 1);
      file = fileSystem_->openWritable(positionsPath(), sdk::OpenMode::append);
      size = file->size();
    }
    if (size == 0) lines.insert(0, positionsHeader());
    file->append(lines);
    offset_ = size + lines.size();
  }

  // One write per posting file.
  struct Pending {
    std::string header;
    std::string lines;
  };
  std::map<fs::path, Pending> pending;
  for (const auto& event : events) {
    std::string entry = std::to_string(event.position) + "\n";
    fs::path typePath = typeFilePath(event.eventType);
    auto [typeIt, newType] = pending.try_emplace(typePath);
    if (newType) typeIt->second.header = typeHeader(event.eventType);
    typeIt->second.lines += entry;
    std::set<Tag> seen;
    for (const auto& tag : event.tags) {
      if (!seen.insert(tag).second) continue;  // a duplicate tag on one event counts once
      auto [tagIt, newTag] = pending.try_emplace(tagFilePath(tag));
      if (newTag) tagIt->second.header = tagHeader(tag);
      tagIt->second.lines += entry;
    }
  }
  for (auto& [path, file] : pending) {
    auto writable = fileSystem_->openWritable(directory_ / path, sdk::OpenMode::append);
    if (writable->size() == 0) file.lines.insert(0, file.header);
    writable->append(file.lines);
  }

  for (const auto& event : events) applyLocked(event);
  caughtUp_ = events.back().position;
}

void TagIndex::addTags(std::span<const sdk::IndexedEvent> additions) {
  // The positions each tag gains, sorted and without duplicates.
  std::map<Tag, std::vector<Position>> gained;
  Position highest = 0;
  for (const auto& addition : additions) {
    for (const auto& tag : addition.tags) gained[tag].push_back(addition.position);
    highest = std::max(highest, addition.position);
  }
  if (gained.empty()) return;
  std::unique_lock lock(mutex_);
  if (started_) catchUpLocked(highest);
  fileSystem_->createDirectories(directory_ / kTagsFolder);
  for (auto& [tag, positions] : gained) {
    std::sort(positions.begin(), positions.end());
    positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
    fs::path path = directory_ / tagFilePath(tag);
    std::string header = tagHeader(tag);
    auto content = fileSystem_->readFile(path);
    // Migrations touch committed positions only, so every entry of the file counts.
    std::vector<Position> current =
        content ? parsePostingFile(*content, header, std::numeric_limits<Position>::max(), path)
                : std::vector<Position>{};
    std::vector<Position> missing;
    std::set_difference(positions.begin(), positions.end(), current.begin(), current.end(),
                        std::back_inserter(missing));
    if (missing.empty()) continue;  // applied before (recovery repeats a step)
    bool clean = content && content->size() > header.size() && content->back() == '\n';
    if (clean && !current.empty() && missing.front() > current.back()) {
      // The usual case, tags for events newer than the list's last one: append.
      std::string lines;
      for (Position p : missing) lines += std::to_string(p) + "\n";
      fileSystem_->openWritable(path, sdk::OpenMode::append)->append(lines);
    } else {
      std::vector<Position> merged;
      std::merge(current.begin(), current.end(), missing.begin(), missing.end(),
                 std::back_inserter(merged));
      std::string text = header;
      for (Position p : merged) text += std::to_string(p) + "\n";
      // Readers see the old list or the new one, never a mix.
      fileSystem_->replaceFile(path, text, false);
    }
    if (auto it = tags_.find(tag); it != tags_.end()) {
      auto& list = it->second;
      auto end = std::upper_bound(missing.begin(), missing.end(), caughtUp_);
      std::vector<Position> merged;
      merged.reserve(list.size() + static_cast<std::size_t>(end - missing.begin()));
      std::merge(list.begin(), list.end(), missing.begin(), end, std::back_inserter(merged));
      list = std::move(merged);
    }
  }
  if (started_ && highest > caughtUp_) {
    // Catching up later would miss the new tags of positions it has not read yet: reload.
    started_ = false;
    types_.clear();
    tags_.clear();
  }
}

// ---- recovery ----

bool TagIndex::truncatePostingFile(const fs::path& path, Position head) {
  auto file = fileSystem_->openReadable(path);
  if (!file) return false;
  std::uint64_t size = file->size();
  std::string start = file->readAt(0, std::min(size, kMaxHeader));
  std::size_t headerEnd = start.find('\n');
  while (headerEnd == std::string::npos && start.size() < size) {
    // Only names longer than the documented 1,024 bytes make a header this long.
    std::size_t searched = start.size();
    start += file->readAt(start.size(), std::min<std::uint64_t>(size - start.size(), kMaxHeader));
    if (start.size() == searched) break;
    headerEnd = start.find('\n', searched);
  }
  if (headerEnd == std::string::npos) {
    file.reset();
    fileSystem_->remove(path);  // created by the interrupted append; its header is torn
    return true;
  }
  std::uint64_t keep = headerEnd + 1;
  TailReader reader(*file, keep, size);
  std::string line;
  std::uint64_t lineStart = 0;
  while (reader.previous(line, lineStart)) {
    if (line.empty() || line.back() != '\n') continue;
    auto entry = parsePosition(withoutNewline(line));
    if (entry && *entry <= head) {
      keep = lineStart + line.size();
      break;
    }
  }
  if (keep == size) return false;
  file.reset();
  if (keep == headerEnd + 1) {
    fileSystem_->remove(path);
  } else {
    fileSystem_->openWritable(path, sdk::OpenMode::append)->truncate(keep);
  }
  return true;
}

void TagIndex::truncateAfterLocked(Position head) {
  std::set<fs::path> touched;  // posting files the lines after `head` name
  bool scanAll = fullRecoveryScan_;
  std::uint64_t keep = 0;
  std::uint64_t size = 0;
  if (auto file = fileSystem_->openReadable(positionsPath())) {
    size = file->size();
    Header header = readPositionsHeader(*file, size);
    if (header.torn) {
      scanAll = true;
    } else {
      keep = header.end;
      Position last = 0;  // the position the line found last must precede
      bool found = false;
      TailReader reader(*file, header.end, size);
      std::string line;
      std::uint64_t start = 0;
      while (reader.previous(line, start)) {
        std::optional<sdk::IndexedEvent> event;
        if (!line.empty() && line.back() == '\n') event = parsePositionLine(withoutNewline(line));
        if (!event || (last != 0 && event->position + 1 != last)) {
          scanAll = true;  // torn, garbage or missing lines: their lists are unknown
          if (!event) continue;
        }
        if (event->position <= head) {
          if (event->position != head) break;
          keep = start + line.size();
          found = true;
          if (last != 0 && last != head + 1) scanAll = true;
          break;
        }
        last = event->position;
        touched.insert(typeFilePath(event->eventType));
        for (const auto& tag : event->tags) touched.insert(tagFilePath(tag));
      }
      if (!found && head > 0) {
        throw CorruptionError("index file '" + positionsPath().string() +
                              "' has no line for position " + std::to_string(head) +
                              ", the last committed position; the index must be rebuilt");
      }
      if (!found) scanAll = true;
    }
  } else if (head > 0) {
    throw CorruptionError("index file '" + positionsPath().string() + "' is missing although " +
                          std::to_string(head) + " events are committed");
  } else {
    scanAll = true;
  }

  std::size_t changed = 0;
  for (const auto& path : touched) changed += truncatePostingFile(directory_ / path, head) ? 1 : 0;
  if (scanAll) {
    for (const auto& folder : {kTypesFolder, kTagsFolder}) {
      for (const auto& name : fileSystem_->listDirectory(directory_ / folder)) {
        if (name.size() < 4 || name.compare(name.size() - 4, 4, ".idx") != 0) continue;
        if (touched.count(folder / name) > 0) continue;
        changed += truncatePostingFile(directory_ / folder / name, head) ? 1 : 0;
      }
    }
  }
  if (size > keep) {
    if (keep == 0) {
      fileSystem_->remove(positionsPath());
    } else {
      fileSystem_->openWritable(positionsPath(), sdk::OpenMode::append)->truncate(keep);
    }
  }
  if (logger_ && (changed > 0 || size > keep) && logger_->enabled(sdk::LogLevel::info)) {
    logger_->log(sdk::LogLevel::info, "tag-index: removed the entries after position " +
                                          std::to_string(head) + " (" + std::to_string(changed) +
                                          " index files, " + std::to_string(size - keep) +
                                          " bytes of '" + positionsPath().string() + "')");
  }

  for (auto& [type, list] : types_) {
    list.erase(std::upper_bound(list.begin(), list.end(), head), list.end());
  }
  for (auto& [tag, list] : tags_) {
    list.erase(std::upper_bound(list.begin(), list.end(), head), list.end());
  }
  if (started_ && caughtUp_ > head) {
    caughtUp_ = head;
    offset_ = keep;
  }
}

void TagIndex::truncateAfter(Position head) {
  std::unique_lock lock(mutex_);
  truncateAfterLocked(head);
}

void TagIndex::reset() {
  std::unique_lock lock(mutex_);
  started_ = false;
  caughtUp_ = 0;
  offset_ = 0;
  types_.clear();
  tags_.clear();
}

}  // namespace opossum::plugins::tag_index
