#include "tag_index.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "line_format.hpp"
#include "opossum/errors.hpp"
#include "opossum/sdk/options.hpp"

namespace opossum::plugins::tag_index {

namespace fs = std::filesystem;

namespace {

std::string_view withoutNewline(const std::string& line) {
  std::string_view view(line);
  if (!view.empty() && view.back() == '\n') view.remove_suffix(1);
  return view;
}

}  // namespace

TagIndex::TagIndex(const sdk::IndexContext& context)
    : directory_(context.directory),
      fileSystem_(context.fileSystem),
      logger_(context.logger),
      check_(context.fileSystem, context.directory),
      registry_(context.fileSystem, context.directory / kListsFile) {
  sdk::OptionReader reader(context.options, "index plugin 'tag-index'");
  fullRecoveryScan_ = reader.getBool("fullRecoveryScan", false);
  reader.finish();
  if (!fileSystem_) throw InvalidArgumentError("index plugin 'tag-index': no file system given");
  if (directory_.empty())
    throw InvalidArgumentError("index plugin 'tag-index': no directory given");
}

void* TagIndex::capability(sdk::Capability id) {
  // Through the interface type: the caller casts the void* back to sdk::IndexCheck*.
  return id == sdk::Capability::indexCheck ? static_cast<sdk::IndexCheck*>(&check_) : nullptr;
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

Position TagIndex::tailBase() const {
  std::shared_lock lock(mutex_);
  return base_;
}

std::size_t TagIndex::tailEntries() const {
  std::shared_lock lock(mutex_);
  std::size_t n = 0;
  for (const auto& [type, list] : tailTypes_) n += list.size();
  for (const auto& [tag, list] : tailTags_) n += list.size();
  return n;
}

std::vector<Position> TagIndex::typeTail(const std::string& eventType) const {
  std::shared_lock lock(mutex_);
  auto it = tailTypes_.find(eventType);
  return it == tailTypes_.end() ? std::vector<Position>{} : it->second;
}

std::vector<Position> TagIndex::tagTail(const Tag& tag) const {
  std::shared_lock lock(mutex_);
  auto it = tailTags_.find(tag);
  return it == tailTags_.end() ? std::vector<Position>{} : it->second;
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
  if (caughtUp_ < head) {
    // add() writes a position's line before it is committed, so a committed one always has it:
    // answering without it would be silently wrong (and let append conditions pass).
    throw CorruptionError("index file '" + positionsPath().string() + "' ends at position " +
                          std::to_string(caughtUp_) + ", but position " + std::to_string(head) +
                          " is committed; the index must be rebuilt ('opossum reindex')");
  }
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

namespace {

// A posting file's entries <= base (the rest may be missing or partial), then the tail's.
// `missing` is called when the file does not exist or has no header line (lists appear whole,
// by rename). A torn or garbage tail is no sign of damage: a power loss leaves such tails after
// the mark, and the next materialize() cuts them.
// `check` is given the file's entries.
template <class Map, class Key, class Missing, class Check>
std::vector<Position> loadList(sdk::FileSystem& files, const fs::path& path,
                               const std::string& header, Position base, const Map& tail,
                               const Key& key, Missing missing, Check check) {
  auto content = files.readFile(path);
  if (!content || content->find('\n') == std::string::npos) missing();
  std::vector<Position> list =
      content ? parsePostingFile(*content, header, base, path) : std::vector<Position>{};
  check(list);
  if (auto it = tail.find(key); it != tail.end()) {
    list.insert(list.end(), it->second.begin(), it->second.end());
  }
  return list;
}

}  // namespace

void TagIndex::loadLocked(const Query& query) {
  for (const auto& item : query.items()) {
    for (const auto& type : item.eventTypes) {
      if (types_.count(type) > 0) continue;
      const fs::path relative = typeFilePath(type);
      types_.emplace(type, loadList(
                               *fileSystem_, directory_ / relative, typeHeader(type), base_,
                               tailTypes_, type, [&] { checkMissingLocked(relative); },
                               [&](const auto& entries) { checkCountLocked(relative, entries); }));
    }
    for (const auto& tag : item.tags) {
      if (tags_.count(tag) > 0) continue;
      const fs::path relative = tagFilePath(tag);
      tags_.emplace(tag, loadList(
                             *fileSystem_, directory_ / relative, tagHeader(tag), base_, tailTags_,
                             tag, [&] { checkMissingLocked(relative); },
                             [&](const auto& entries) { checkCountLocked(relative, entries); }));
    }
  }
}

void TagIndex::checkMissingLocked(const fs::path& relative) {
  if (base_ == 0) return;
  auto first = registry_.first(relative);
  if (first && *first <= base_) {
    throw CorruptionError("index file '" + (directory_ / relative).string() +
                          "' is missing, but it listed position " + std::to_string(*first) + " (" +
                          kListsFile.string() + "); the index must be rebuilt ('opossum reindex')");
  }
}

void TagIndex::checkCountLocked(const fs::path& relative, const std::vector<Position>& entries) {
  if (base_ == 0) return;
  auto recorded = registry_.count(relative);
  if (!recorded || recorded->mark > base_) return;
  auto held = static_cast<std::uint64_t>(
      std::upper_bound(entries.begin(), entries.end(), recorded->mark) - entries.begin());
  if (held != recorded->count) {
    throw CorruptionError("index file '" + (directory_ / relative).string() + "' lists " +
                          std::to_string(held) + " position(s) up to " +
                          std::to_string(recorded->mark) + ", but it held " +
                          std::to_string(recorded->count) + " (" + kListsFile.string() +
                          "); the index must be rebuilt ('opossum reindex')");
  }
}

void TagIndex::seedRegistry() {
  std::vector<std::pair<Position, fs::path>> lists;
  for (const auto& folder : {kTypesFolder, kTagsFolder}) {
    for (const auto& name : fileSystem_->listDirectory(directory_ / folder)) {
      if (name.size() < 4 || name.compare(name.size() - 4, 4, ".idx") != 0) continue;
      auto file = fileSystem_->openReadable(directory_ / folder / name);
      if (!file) continue;
      // The first entry is on the line after the header.
      std::string start = file->readAt(0, 4096);
      std::size_t header = start.find('\n');
      std::size_t end = header == std::string::npos ? header : start.find('\n', header + 1);
      if (end == std::string::npos) continue;
      if (auto first =
              parsePosition(std::string_view(start).substr(header + 1, end - header - 1))) {
        lists.emplace_back(*first, folder / name);
      }
    }
  }
  // The header alone says the registry is there, also for a folder without posting files.
  registry_.record(lists);
  if (lists.empty()) {
    fileSystem_->createDirectories((directory_ / kListsFile).parent_path());
    auto writer = fileSystem_->openWritable(directory_ / kListsFile, sdk::OpenMode::append);
    if (writer->size() == 0) writer->append(listsHeader());
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
  positionsWriter_.reset();
  // Nothing is loaded yet: a list loaded later is its posting file up to the mark plus the tail
  // read here, the lines in (mark, head]. Lines after `head` belong to an append in flight.
  const Position posted = readMark().posted;
  started_ = false;
  caughtUp_ = 0;
  offset_ = 0;
  base_ = 0;
  nextMarkCheck_ = kTailCheck;
  types_.clear();
  tags_.clear();
  tailTypes_.clear();
  tailLog_.clear();
  tailTags_.clear();
  auto file = fileSystem_->openReadable(positionsPath());
  if (!file) {
    started_ = true;
    return;
  }
  std::uint64_t size = file->size();
  Header header = readPositionsHeader(*file, size);
  if (header.torn) {
    started_ = true;
    return;
  }
  offset_ = header.end;
  TailReader reader(*file, header.end, size);
  std::string line;
  std::uint64_t start = 0;
  std::vector<sdk::IndexedEvent> tail;  // newest first
  while (reader.previous(line, start)) {
    if (line.empty() || line.back() != '\n') continue;
    auto event = parsePositionLine(withoutNewline(line));
    if (event && event->position <= head) {
      caughtUp_ = event->position;
      offset_ = start + line.size();
      base_ = std::min(posted, caughtUp_);
      if (caughtUp_ > base_) tail.push_back(std::move(*event));
      break;
    }
  }
  // The lines before it are committed: each one must be there.
  while (!tail.empty() && tail.back().position > base_ + 1) {
    std::optional<sdk::IndexedEvent> event;
    if (reader.previous(line, start) && !line.empty() && line.back() == '\n') {
      event = parsePositionLine(withoutNewline(line));
    }
    if (!event || event->position + 1 != tail.back().position) {
      throw CorruptionError("index file '" + positionsPath().string() + "' is damaged at offset " +
                            std::to_string(start) + ": expected the line of position " +
                            std::to_string(tail.back().position - 1));
    }
    tail.push_back(std::move(*event));
  }
  for (auto it = tail.rbegin(); it != tail.rend(); ++it) applyLocked(*it);
  nextMarkCheck_ = (caughtUp_ - base_) + kTailCheck;
  started_ = true;
}

void TagIndex::applyLocked(const sdk::IndexedEvent& event) {
  if (auto it = types_.find(event.eventType); it != types_.end()) {
    it->second.push_back(event.position);
  }
  tailTypes_[event.eventType].push_back(event.position);
  tailLog_.push_back({event.position, event.eventType, {}});
  for (const auto& tag : event.tags) {
    if (auto it = tags_.find(tag); it != tags_.end()) {
      if (it->second.empty() || it->second.back() != event.position) {
        it->second.push_back(event.position);
      }
    }
    auto& tail = tailTags_[tag];
    if (tail.empty() || tail.back() != event.position) {
      tail.push_back(event.position);
      tailLog_.back().tags.push_back(tag);
    }
  }
}

void TagIndex::trimTailLocked(Position posted) {
  const Position to = std::min(posted, caughtUp_);
  if (to <= base_) return;
  auto trim = [to](auto& map, const auto& key) {
    auto it = map.find(key);
    if (it == map.end()) return;
    auto& list = it->second;
    list.erase(list.begin(), std::upper_bound(list.begin(), list.end(), to));
    if (list.empty()) map.erase(it);
  };
  while (!tailLog_.empty() && tailLog_.front().position <= to) {
    const auto& event = tailLog_.front();
    trim(tailTypes_, event.eventType);
    for (const auto& tag : event.tags) trim(tailTags_, tag);
    tailLog_.pop_front();
  }
  base_ = to;
  nextMarkCheck_ = (caughtUp_ - base_) + kTailCheck;
}

void TagIndex::maybeTrimLocked() {
  if (caughtUp_ - base_ < nextMarkCheck_) return;
  try {
    trimTailLocked(readMark().posted);
  } catch (const Error&) {
    // Only memory is at stake here; a damaged mark is reported where it matters (materialize,
    // start, recovery).
  }
  nextMarkCheck_ = (caughtUp_ - base_) + kTailCheck;
}

void TagIndex::forgetLocked() {
  positionsWriter_.reset();
  registry_.forget();
  started_ = false;
  caughtUp_ = 0;
  offset_ = 0;
  base_ = 0;
  nextMarkCheck_ = kTailCheck;
  ++generation_;
  types_.clear();
  tags_.clear();
  tailTypes_.clear();
  tailTags_.clear();
  tailLog_.clear();
}

void TagIndex::catchUpLocked(Position head) {
  if (caughtUp_ >= head) return;
  auto file = fileSystem_->openReadable(positionsPath());
  if (!file) return;
  std::uint64_t size = file->size();
  if (size < offset_) {
    // The file was replaced (the store was deleted and recreated): start over.
    forgetLocked();
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
  maybeTrimLocked();
}

// ---- the mark ----

Mark TagIndex::readMark() const {
  for (int round = 0;; ++round) {
    for (int attempt = 0;; ++attempt) {
      auto file = fileSystem_->openReadable(markPath());
      if (!file) break;
      std::string content = file->readAt(0, kMarkLineSize);
      MarkRead read = parseMark(content);
      if (read.status == MarkStatus::valid) return read.mark;
      if (read.status == MarkStatus::blank) break;
      // A read racing the in-place write can see a mix of two lines; the CRC tells it to retry.
      if (attempt == 1000) {
        throw CorruptionError("index file '" + markPath().string() +
                              "' is damaged (its first line is not a mark with a valid checksum); "
                              "the index must be rebuilt");
      }
      std::this_thread::yield();
    }
    // Missing or blank: nothing was materialized, unless posting files exist (a power loss kept
    // them and lost the mark's content). A materialize() creates the mark before any posting
    // file, so a mark that appears meanwhile is found by the second look.
    if (!anyPostingFile()) return Mark{0, 0};
    if (round == 1) return Mark{0, kUnknownPosition};
  }
}

void TagIndex::writeMark(const Mark& mark) {
  std::string line = formatMarkLine(mark);
  if (!fileSystem_->fileSize(markPath())) {
    fileSystem_->createDirectories(markPath().parent_path());
    fileSystem_->replaceFile(markPath(), line, false);  // created whole, never seen half-written
  } else {
    fileSystem_->openWritable(markPath(), sdk::OpenMode::append)->writeAt(0, line);
  }
}

bool TagIndex::anyPostingFile() const {
  for (const auto& folder : {kTypesFolder, kTagsFolder}) {
    for (const auto& name : fileSystem_->listDirectory(directory_ / folder)) {
      if (name.size() >= 4 && name.compare(name.size() - 4, 4, ".idx") == 0) return true;
    }
  }
  return false;
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
  if (caughtUp_ > first - 1) {
    truncateAfterLocked(first - 1);  // re-adding after a failed append
    if (!started_) startLocked(first - 1);
  }
  if (caughtUp_ < first - 1) {
    throw CorruptionError("index file '" + positionsPath().string() + "' ends at position " +
                          std::to_string(caughtUp_) + " but the next event has position " +
                          std::to_string(first));
  }

  // Only the positions file: posting files wait for materialize(), off the commit path. It stays
  // open between appends; whatever replaces it (deleteStore, reindex) makes the storage reset()
  // this index first.
  std::string lines;
  for (const auto& event : events) appendPositionLine(lines, event);
  if (!positionsWriter_) {
    fileSystem_->createDirectories(directory_ / kPositionsFile.parent_path());
    positionsWriter_ = fileSystem_->openWritable(positionsPath(), sdk::OpenMode::append);
  }
  std::uint64_t size = positionsWriter_->size();
  if (size != offset_) {
    // Leftovers of an interrupted append that recovery did not remove.
    truncateAfterLocked(first - 1);
    if (!started_) startLocked(first - 1);
    positionsWriter_ = fileSystem_->openWritable(positionsPath(), sdk::OpenMode::append);
    size = positionsWriter_->size();
  }
  if (size == 0) lines.insert(0, positionsHeader());
  try {
    positionsWriter_->append(lines);
  } catch (...) {
    positionsWriter_.reset();  // its state is unknown after a failed write
    throw;
  }
  offset_ = size + lines.size();
  for (const auto& event : events) applyLocked(event);
  caughtUp_ = events.back().position;
  maybeTrimLocked();
}

void TagIndex::materialize(Position upTo) {
  const Mark mark = readMark();
  if (upTo <= mark.posted) return;
  const Position posted = mark.posted;
  const bool unknown = mark.writing == kUnknownPosition;
  const bool requested = fileSystem_->exists(scanRequestPath());
  bool scanAll = unknown || requested;

  // Under the lock: learn the positions up to upTo (and W) and copy out what is to be written.
  struct Pending {
    std::string header;
    std::string lines;
  };
  std::map<fs::path, Pending> pending;
  std::set<fs::path> touched;  // lists an interrupted materialize wrote, (P, W]
  std::uint64_t generation = 0;
  {
    std::unique_lock lock(mutex_);
    const Position through = unknown ? upTo : std::max(upTo, mark.writing);
    if (started_ && base_ > posted) forgetLocked();  // the mark went back (a recovery)
    if (!started_) startLocked(through);
    catchUpLocked(through);
    if (caughtUp_ < upTo) {
      throw CorruptionError("index file '" + positionsPath().string() + "' ends at position " +
                            std::to_string(caughtUp_) + ", before position " +
                            std::to_string(upTo) + " that materialize() was asked to write");
    }
    if (base_ > posted) {
      throw InvalidArgumentError(
          "index plugin 'tag-index': the mark of '" + directory_.string() +
          "' moved during materialize(); only one materialize() may run at a time per folder");
    }
    if (!unknown && mark.writing > caughtUp_) scanAll = true;  // lines of (P, W] are missing
    const Position touchedTo = unknown ? posted : std::max(posted, mark.writing);
    auto first = std::upper_bound(
        tailLog_.begin(), tailLog_.end(), posted,
        [](Position p, const sdk::IndexedEvent& event) { return p < event.position; });
    for (auto it = first; it != tailLog_.end() && it->position <= std::max(upTo, touchedTo); ++it) {
      auto note = [&](const fs::path& path, const std::string& header) {
        if (it->position <= touchedTo) touched.insert(path);
        if (it->position > upTo) return;
        Pending& file = pending[path];
        if (file.header.empty()) file.header = header;
        file.lines += std::to_string(it->position) + "\n";
      };
      note(typeFilePath(it->eventType), typeHeader(it->eventType));
      for (const auto& tag : it->tags) note(tagFilePath(tag), tagHeader(tag));
    }
    generation = generation_;
  }

  // Without the lock: readers keep answering from memory and from entries <= P meanwhile.
  std::size_t repaired = 0;
  if (scanAll) {
    repaired = truncateAllPostingFiles(posted);
    // Lists cut away may come again with another first position, or not at all.
    registry_.keepUpTo(posted);
  } else {
    for (const auto& path : touched) {
      repaired += truncatePostingFile(directory_ / path, posted) ? 1 : 0;
    }
  }
  fileSystem_->createDirectories(directory_ / kTypesFolder);
  fileSystem_->createDirectories(directory_ / kTagsFolder);
  if (!registry_.exists()) seedRegistry();
  writeMark({posted, upTo});
  // New posting files are recorded before they appear, so a recorded file that is missing is
  // either deleted or not yet written (then its first position is after the mark).
  std::vector<std::pair<Position, fs::path>> created;
  std::set<fs::path> isNew;
  for (const auto& [path, file] : pending) {
    if (!fileSystem_->fileSize(directory_ / path)) {
      created.emplace_back(*parsePosition(file.lines.substr(0, file.lines.find('\n'))), path);
      isNew.insert(path);
    }
  }
  registry_.record(created);
  // A new posting file is created in a folder of its own and renamed into place: creating a file
  // can hold its folder's lock for a long time (inode allocation), and appends looking up names
  // in tags/ must not wait for that.
  const fs::path staging = directory_ / kStagingFolder;
  for (const auto& name : fileSystem_->listDirectory(staging)) fileSystem_->remove(staging / name);
  bool stagingMade = false;
  for (auto& [path, file] : pending) {
    fs::path full = directory_ / path;
    if (isNew.count(path) > 0) {
      if (!stagingMade) fileSystem_->createDirectories(staging);
      stagingMade = true;
      fs::path staged = staging / path.filename();
      fileSystem_->openWritable(staged, sdk::OpenMode::truncate)->append(file.header + file.lines);
      fileSystem_->rename(staged, full);
      continue;
    }
    // A mark that lost its last update (a power loss) may leave entries after P: cut them.
    cutBeforeAppend(full, posted);
    auto writable = fileSystem_->openWritable(full, sdk::OpenMode::append);
    if (writable->size() == 0) file.lines.insert(0, file.header);
    writable->append(file.lines);
  }
  // How many entries each list holds now, so that entries cut off later are noticed. A list not
  // touched since its last record gained nothing meanwhile.
  std::vector<std::pair<ListCount, fs::path>> counts;
  std::vector<fs::path> paths;
  for (const auto& entry : pending) paths.push_back(entry.first);
  const auto priors = registry_.counts(paths);
  std::size_t index = 0;
  for (const auto& [path, file] : pending) {
    const auto& prior = priors[index++];
    const auto added =
        static_cast<std::uint64_t>(std::count(file.lines.begin(), file.lines.end(), '\n')) -
        (file.lines.compare(0, file.header.size(), file.header) == 0 ? 1 : 0);
    std::optional<std::uint64_t> held;
    if (isNew.count(path) > 0) {
      held = 0;
    } else if (prior && prior->mark <= posted) {
      held = prior->count;
    }
    if (held) {
      counts.push_back({{upTo, *held + added}, path});
    } else if (auto content = fileSystem_->readFile(directory_ / path)) {
      counts.push_back(
          {{upTo, parsePostingFile(*content, file.header, upTo, directory_ / path).size()}, path});
    }
  }
  registry_.recordCounts(counts);
  writeMark({upTo, upTo});
  if (requested) fileSystem_->remove(scanRequestPath());
  if (logger_ && repaired > 0 && logger_->enabled(sdk::LogLevel::info)) {
    logger_->log(sdk::LogLevel::info, "tag-index: removed the entries after position " +
                                          std::to_string(posted) + " from " +
                                          std::to_string(repaired) +
                                          " index files (an interrupted materialize)");
  }

  std::unique_lock lock(mutex_);
  if (started_ && generation_ == generation) trimTailLocked(upTo);
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
  // Posting files must be complete up to every position changed: entries appended here would
  // otherwise come before the ones materialize() writes later, and tails would miss the tags.
  const Position posted = readMark().posted;
  if (highest > posted) {
    throw InvalidArgumentError("index plugin 'tag-index': addTags() for position " +
                               std::to_string(highest) +
                               " but the posting files are written up to position " +
                               std::to_string(posted) + " only; call materialize() first");
  }
  std::unique_lock lock(mutex_);
  if (started_) {
    catchUpLocked(highest);
    // The tail then holds positions after `highest` only, which gain no tag.
    trimTailLocked(posted);
  }
  fileSystem_->createDirectories(directory_ / kTagsFolder);
  if (!registry_.exists()) seedRegistry();
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
    const fs::path relative = tagFilePath(tag);
    const ListCount counted{posted, current.size() + missing.size()};
    if (missing.empty()) {
      registry_.recordCounts({{counted, relative}});  // a crash may have come before it
      continue;                                       // applied before (recovery repeats a step)
    }
    // Entries come below the mark of the list's last count: that count says nothing until the
    // new one is recorded (a count at mark 0 checks nothing).
    registry_.recordCounts({{ListCount{0, 0}, relative}});
    // Appending is safe only right after the last entry (not after a torn or garbage tail).
    const std::string last = current.empty() ? "" : "\n" + std::to_string(current.back()) + "\n";
    bool clean = !current.empty() && content->size() >= last.size() &&
                 content->compare(content->size() - last.size(), last.size(), last) == 0;
    if (clean && missing.front() > current.back()) {
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
      if (current.empty() || merged.front() < current.front()) {
        registry_.record({{merged.front(), tagFilePath(tag)}});
      }
      // Readers see the old list or the new one, never a mix.
      fileSystem_->replaceFile(path, text, false);
    }
    registry_.recordCounts({{counted, relative}});
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
    forgetLocked();
  }
}

// ---- recovery ----

bool TagIndex::truncatePostingFile(const fs::path& path, Position head) {
  auto content = fileSystem_->readFile(path);
  if (!content) return false;
  const std::size_t headerEnd = content->find('\n');
  if (headerEnd == std::string::npos) {
    fileSystem_->remove(path);  // created by an interrupted write; its header is torn
    return true;
  }
  // Forward, up to the first line that does not continue the list: after a power loss the tail
  // may hold anything, also digits that read as a smaller position (a torn "16" as "1").
  std::size_t keep = headerEnd + 1;
  Position last = 0;
  for (std::size_t end; (end = content->find('\n', keep)) != std::string::npos; keep = end + 1) {
    auto entry = parsePosition(std::string_view(*content).substr(keep, end - keep));
    if (!entry || *entry <= last || *entry > head) break;
    last = *entry;
  }
  if (keep == content->size()) return false;
  if (keep == headerEnd + 1) {
    fileSystem_->remove(path);
  } else {
    fileSystem_->openWritable(path, sdk::OpenMode::append)->truncate(keep);
  }
  return true;
}

void TagIndex::cutBeforeAppend(const fs::path& path, Position head) {
  auto file = fileSystem_->openReadable(path);
  if (!file) return;
  std::uint64_t size = file->size();
  if (size == 0) return;  // the header is written with the first entries
  // The usual case: the last line is an entry <= head (an entry has at most 20 digits).
  std::uint64_t take = std::min<std::uint64_t>(size, 64);
  std::string end = file->readAt(size - take, take);
  if (end.size() == take && end.size() >= 2 && end.back() == '\n') {
    std::size_t from = end.rfind('\n', end.size() - 2);
    if (from != std::string::npos) {
      auto entry = parsePosition(std::string_view(end).substr(from + 1, end.size() - from - 2));
      if (entry && *entry <= head) return;
    }
  }
  file.reset();
  truncatePostingFile(path, head);
}

std::size_t TagIndex::truncateAllPostingFiles(Position head, const std::set<fs::path>& skip) {
  std::size_t changed = 0;
  for (const auto& folder : {kTypesFolder, kTagsFolder}) {
    for (const auto& name : fileSystem_->listDirectory(directory_ / folder)) {
      if (name.size() < 4 || name.compare(name.size() - 4, 4, ".idx") != 0) continue;
      if (skip.count(folder / name) > 0) continue;
      changed += truncatePostingFile(directory_ / folder / name, head) ? 1 : 0;
    }
  }
  return changed;
}

void TagIndex::truncateAfterLocked(Position head) {
  positionsWriter_.reset();
  // A crash or a power loss may have kept list entries and count records unevenly.
  registry_.dropCounts();
  const Mark mark = readMark();
  // Posting files hold nothing after W. When W <= head (the usual recovery of an interrupted
  // append) they are left alone: a materialize() of another process may be writing them. When
  // committed positions were lost (head < W, after a power loss; no materialize() runs then),
  // they are cut to what is known to be complete: min(P, head).
  const bool cutFiles = mark.writing > head;
  const Position bound = std::min(mark.posted, head);
  std::set<fs::path> touched;  // posting files the lines after `bound` name
  bool scanAll = fullRecoveryScan_ || mark.writing == kUnknownPosition;
  auto touch = [&](const sdk::IndexedEvent& event) {
    touched.insert(typeFilePath(event.eventType));
    for (const auto& tag : event.tags) touched.insert(tagFilePath(tag));
  };
  std::uint64_t keep = 0;
  std::uint64_t size = 0;
  if (auto file = fileSystem_->openReadable(positionsPath())) {
    size = file->size();
    Header header = readPositionsHeader(*file, size);
    if (header.torn) {
      scanAll = true;
    } else {
      keep = header.end;
      Position last = 0;    // the position the line found last must precede
      Position logEnd = 0;  // the last well-formed line's
      std::optional<sdk::IndexedEvent> found;
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
        if (logEnd == 0) logEnd = event->position;
        if (event->position <= head) {
          if (event->position != head) break;
          keep = start + line.size();
          if (last != 0 && last != head + 1) scanAll = true;
          found = std::move(event);
          break;
        }
        last = event->position;
        touch(*event);
      }
      if (!found && head > 0) {
        throw CorruptionError("index file '" + positionsPath().string() +
                              "' has no line for position " + std::to_string(head) +
                              ", the last committed position; the index must be rebuilt");
      }
      if (!found) scanAll = true;
      if (cutFiles && mark.writing != kUnknownPosition && logEnd < mark.writing) {
        scanAll = true;  // the lines of (logEnd, W] are lost: their lists are unknown
      }
      if (found && cutFiles && bound < head) {
        // The lines of (bound, head] name the lists that may hold entries after `bound` too.
        touch(*found);
        Position expected = head;
        while (expected > bound + 1) {
          std::optional<sdk::IndexedEvent> event;
          if (reader.previous(line, start) && !line.empty() && line.back() == '\n') {
            event = parsePositionLine(withoutNewline(line));
          }
          if (!event || event->position + 1 != expected) {
            scanAll = true;
            break;
          }
          touch(*event);
          expected = event->position;
        }
      }
    }
  } else if (head > 0) {
    throw CorruptionError("index file '" + positionsPath().string() + "' is missing although " +
                          std::to_string(head) + " events are committed");
  } else {
    scanAll = true;
  }

  std::size_t changed = 0;
  if (cutFiles) {
    for (const auto& path : touched) {
      changed += truncatePostingFile(directory_ / path, bound) ? 1 : 0;
    }
    if (scanAll) changed += truncateAllPostingFiles(bound, touched);
  }
  if (size > keep) {
    if (keep == 0) {
      fileSystem_->remove(positionsPath());
    } else {
      fileSystem_->openWritable(positionsPath(), sdk::OpenMode::append)->truncate(keep);
    }
  }
  if (cutFiles) {
    registry_.keepUpTo(bound);
    writeMark({bound, bound});
  } else if (fullRecoveryScan_ && (fileSystem_->exists(directory_ / kTypesFolder) ||
                                   fileSystem_->exists(directory_ / kTagsFolder))) {
    // Posting files may keep entries of positions a power loss took back, which neither the mark
    // nor a line names; only a materialize() may cut them now, so the next one checks them all.
    fileSystem_->createDirectories(scanRequestPath().parent_path());
    fileSystem_->openWritable(scanRequestPath(), sdk::OpenMode::append);
  }
  if (logger_ && (changed > 0 || size > keep) && logger_->enabled(sdk::LogLevel::info)) {
    logger_->log(sdk::LogLevel::info, "tag-index: removed the entries after position " +
                                          std::to_string(head) + " (" + std::to_string(changed) +
                                          " index files, " + std::to_string(size - keep) +
                                          " bytes of '" + positionsPath().string() + "')");
  }

  if (cutFiles) {
    // The tail would have to start at `bound` again: start over from the files.
    forgetLocked();
    return;
  }
  auto cut = [head](auto& map, bool dropEmpty) {
    for (auto it = map.begin(); it != map.end();) {
      auto& list = it->second;
      list.erase(std::upper_bound(list.begin(), list.end(), head), list.end());
      it = dropEmpty && list.empty() ? map.erase(it) : std::next(it);
    }
  };
  cut(types_, false);  // a loaded empty list stays loaded
  cut(tags_, false);
  cut(tailTypes_, true);
  cut(tailTags_, true);
  while (!tailLog_.empty() && tailLog_.back().position > head) tailLog_.pop_back();
  if (started_ && caughtUp_ > head) {
    caughtUp_ = head;
    offset_ = keep;
  }
  base_ = std::min(base_, caughtUp_);
}

void TagIndex::truncateAfter(Position head) {
  std::unique_lock lock(mutex_);
  truncateAfterLocked(head);
}

void TagIndex::reset() {
  std::unique_lock lock(mutex_);
  forgetLocked();
}

}  // namespace opossum::plugins::tag_index
