#include "projection_generation.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "opossum/errors.hpp"
#include "opossum/sdk/file_names.hpp"
#include "opossum/sdk/nesting.hpp"

namespace opossum::detail {

namespace {

namespace fs = std::filesystem;

constexpr const char* kStateFormat = "opossum-projection-state";
constexpr const char* kBatchFormat = "opossum-projection-batch";
constexpr int kFormatVersion = 1;
constexpr const char* kJournalName = "batch.journal";
constexpr const char* kStateSuffix = ".json";

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Forwards SAX events to a writer, keeping numbers exactly as written.
struct CompactHandler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, CompactHandler> {
  explicit CompactHandler(Writer& w) : writer(w) {}
  bool Null() { return writer.Null(); }
  bool Bool(bool b) { return writer.Bool(b); }
  bool RawNumber(const char* str, rapidjson::SizeType length, bool) {
    return writer.RawValue(str, length, rapidjson::kNumberType);
  }
  bool String(const char* str, rapidjson::SizeType length, bool) {
    return writer.String(str, length);
  }
  bool StartObject() { return writer.StartObject(); }
  bool Key(const char* str, rapidjson::SizeType length, bool) { return writer.Key(str, length); }
  bool EndObject(rapidjson::SizeType count) { return writer.EndObject(count); }
  bool StartArray() { return writer.StartArray(); }
  bool EndArray(rapidjson::SizeType count) { return writer.EndArray(count); }
  Writer& writer;
};

void writeTags(Writer& writer, const std::vector<Tag>& tags) {
  writer.StartArray();
  for (const Tag& tag : tags) {
    writer.StartArray();
    writer.String(tag.key.data(), static_cast<rapidjson::SizeType>(tag.key.size()));
    writer.String(tag.value.data(), static_cast<rapidjson::SizeType>(tag.value.size()));
    writer.EndArray();
  }
  writer.EndArray();
}

void writeString(Writer& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

std::string asString(const rapidjson::Value& value) {
  return std::string(value.GetString(), value.GetStringLength());
}

bool contains(const std::vector<Tag>& tags, const Tag& tag) {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

// One step of a batch, as journaled.
struct Op {
  std::string kind;  // "put", "del", "tag+", "tag-"
  std::string first;
  std::string second;
};

std::string opLine(const Op& op) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartArray();
  writeString(writer, op.kind);
  writeString(writer, op.first);
  if (op.kind != "del") writeString(writer, op.second);
  writer.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

}  // namespace

std::string compactJson(std::string_view json, const std::string& what) {
  // The reader recurses once per level.
  if (sdk::jsonNestsDeeperThan(json, sdk::kMaxNestingDepth)) {
    throw InvalidArgumentError(what + " nests arrays and objects deeper than " +
                               std::to_string(sdk::kMaxNestingDepth) + " levels");
  }
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  CompactHandler handler(writer);
  rapidjson::Reader reader;
  std::string text(json);
  rapidjson::StringStream stream(text.c_str());
  auto result =
      reader.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag |
                   rapidjson::kParseStopWhenDoneFlag>(stream, handler);
  if (result.IsError()) {
    throw InvalidArgumentError(what + " is not valid JSON (" +
                               rapidjson::GetParseError_En(result.Code()) + " at offset " +
                               std::to_string(result.Offset()) + ")");
  }
  if (text.find_first_not_of(" \t\r\n", stream.Tell()) != std::string::npos ||
      text.find('\0') != std::string::npos) {
    throw InvalidArgumentError(what + " has text after its JSON value");
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

Generation::Generation(GenerationSettings settings)
    : settings_(std::move(settings)), fs_(*settings_.fileSystem) {}

fs::path Generation::statePath(const std::string& stem) const {
  return settings_.directory / "state" / (stem + kStateSuffix);
}

std::string Generation::envelope(const StateEntry& entry) const {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("format");
  writer.String(kStateFormat);
  writer.Key("version");
  writer.Int(kFormatVersion);
  writer.Key("projection");
  writeString(writer, settings_.projection);
  writer.Key("key");
  writeString(writer, entry.key);
  writer.Key("tags");
  writeTags(writer, entry.tags);
  // Last, so readState finds its raw text without reformatting numbers.
  writer.Key("state");
  writer.RawValue(entry.json.data(), entry.json.size(), rapidjson::kObjectType);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::optional<StateEntry> Generation::readState(const std::string& stem) {
  const fs::path path = statePath(stem);
  auto text = fs_.readFile(path);
  if (!text) return std::nullopt;
  auto corrupt = [&](const std::string& why) {
    return CorruptionError("projection '" + settings_.projection + "': state file '" +
                           path.string() + "' " + why);
  };
  // A state nested within its key's record: a little deeper than a state may be.
  if (sdk::jsonNestsDeeperThan(*text, sdk::kMaxNestingDepth + 4)) {
    throw corrupt("nests deeper than any state the store writes");
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text->c_str(), text->size());
  if (doc.HasParseError()) {
    throw corrupt(std::string("is not valid JSON (") +
                  rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                  std::to_string(doc.GetErrorOffset()) + ")");
  }
  if (!doc.IsObject() || !doc.HasMember("format") || !doc["format"].IsString() ||
      asString(doc["format"]) != kStateFormat) {
    throw corrupt("is not an opossum projection state file");
  }
  if (!doc.HasMember("version") || !doc["version"].IsInt() ||
      doc["version"].GetInt() != kFormatVersion) {
    throw corrupt("has an unsupported format version (expected " + std::to_string(kFormatVersion) +
                  ")");
  }
  if (!doc.HasMember("key") || !doc["key"].IsString() || !doc.HasMember("tags") ||
      !doc["tags"].IsArray() || !doc.HasMember("state")) {
    throw corrupt("lacks key, tags or state");
  }
  StateEntry entry;
  entry.key = asString(doc["key"]);
  for (const auto& tag : doc["tags"].GetArray()) {
    if (!tag.IsArray() || tag.Size() != 2 || !tag[0].IsString() || !tag[1].IsString()) {
      throw corrupt("has a malformed tag");
    }
    entry.tags.push_back({asString(tag[0]), asString(tag[1])});
  }
  // The state is the last member as written by envelope(): take its text as it is. The metadata
  // before it holds only escaped strings, so the first ,"state": is the top-level member.
  const std::string marker = ",\"state\":";
  std::size_t start = text->find(marker);
  std::size_t end = text->find_last_of('}');
  if (start != std::string::npos && end != std::string::npos && end > start + marker.size()) {
    entry.json = compactJson(
        std::string_view(*text).substr(start + marker.size(), end - start - marker.size()),
        "state");
  } else {
    rapidjson::StringBuffer buffer;
    Writer writer(buffer);
    doc["state"].Accept(writer);
    entry.json.assign(buffer.GetString(), buffer.GetSize());
  }
  return entry;
}

std::optional<std::optional<StateEntry>> Generation::cached(const std::string& key) {
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.entry;
}

void Generation::cache(const std::string& key, std::optional<StateEntry> entry) {
  if (settings_.cacheSize == 0) return;
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    it->second.entry = std::move(entry);
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return;
  }
  lru_.push_front(key);
  cache_.emplace(key, CacheNode{std::move(entry), lru_.begin()});
  while (cache_.size() > settings_.cacheSize) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
}

std::optional<StateEntry> Generation::load(const std::string& key) {
  if (auto it = dirty_.find(key); it != dirty_.end()) return it->second.next;
  if (auto hit = cached(key)) return *hit;
  auto entry = readState(sdk::fileStem(key));
  if (entry && entry->key != key) {
    throw CorruptionError("projection '" + settings_.projection + "': state file '" +
                          statePath(sdk::fileStem(key)).string() + "' holds key '" + entry->key +
                          "', expected '" + key + "'");
  }
  cache(key, entry);
  return entry;
}

void Generation::put(StateEntry entry) {
  auto it = dirty_.find(entry.key);
  if (it == dirty_.end()) {
    auto current = load(entry.key);
    Change change;
    if (current) change.diskTags = current->tags;
    it = dirty_.emplace(entry.key, std::move(change)).first;
  }
  it->second.next = std::move(entry);
}

void Generation::erase(const std::string& key) {
  auto it = dirty_.find(key);
  if (it == dirty_.end()) {
    auto current = load(key);
    if (!current) return;
    Change change;
    change.diskTags = current->tags;
    it = dirty_.emplace(key, std::move(change)).first;
  }
  it->second.next.reset();
}

void Generation::discardDirty() {
  dirty_.clear();
  cache_.clear();
  lru_.clear();
}

void Generation::ensureDirectory(const fs::path& dir) {
  if (madeDirectories_.count(dir)) return;
  fs_.createDirectories(dir);
  madeDirectories_.insert(dir);
}

void Generation::writeState(const std::string& stem, const std::string& content) {
  if (settings_.unpublished && !settings_.writeProtect) {
    // Nobody reads these files yet, and after a crash recover() redoes the journaled batch, so a
    // torn file cannot be seen. Rewritten in place, a file keeps its inode and its block: a
    // rebuild rewrites each instance once per flush, and creating and freeing files is what file
    // systems are slowest at (with the `discard` mount option each freed block waits for the
    // disk).
    auto file = fs_.openWritable(statePath(stem), sdk::OpenMode::append);
    file->writeAt(0, content);
    file->truncate(content.size());
    return;
  }
  const fs::path temp = settings_.directory / "tmp" / stem;
  {
    auto file = fs_.openWritable(temp, sdk::OpenMode::truncate);
    file->append(content);
  }
  if (settings_.writeProtect) fs_.setReadOnly(temp, true);
  fs_.rename(temp, statePath(stem));
}

void Generation::flush(const std::optional<CommitFile>& commit) {
  if (dirty_.empty() && !commit) return;
  std::string journal;
  {
    rapidjson::StringBuffer buffer;
    Writer writer(buffer);
    writer.StartObject();
    writer.Key("format");
    writer.String(kBatchFormat);
    writer.Key("version");
    writer.Int(kFormatVersion);
    writer.Key("projection");
    writeString(writer, settings_.projection);
    if (commit) {
      writer.Key("commitFile");
      writeString(writer, commit->relativePath.generic_string());
      writer.Key("commit");
      writeString(writer, commit->content);
    }
    writer.EndObject();
    journal.assign(buffer.GetString(), buffer.GetSize());
    journal += '\n';
  }
  for (const auto& [key, change] : dirty_) {
    const std::string stem = sdk::fileStem(key);
    static const std::vector<Tag> kNone;
    const std::vector<Tag>& next = change.next ? change.next->tags : kNone;
    for (const Tag& tag : next) {
      if (!contains(change.diskTags, tag)) journal += opLine({"tag+", sdk::tagFileStem(tag), stem});
    }
    journal +=
        change.next ? opLine({"put", stem, envelope(*change.next)}) : opLine({"del", stem, ""});
    for (const Tag& tag : change.diskTags) {
      if (!contains(next, tag)) journal += opLine({"tag-", sdk::tagFileStem(tag), stem});
    }
  }
  try {
    if (dirty_.empty()) {
      // Nothing but the commit: one atomic file replacement is enough.
      const fs::path target = settings_.root / commit->relativePath;
      settings_.fileSystem->replaceFile(target, commit->content, settings_.durable);
      if (settings_.writeProtect) fs_.setReadOnly(target, true);
      return;
    }
    ensureDirectory(settings_.directory);
    fs_.replaceFile(settings_.directory / kJournalName, journal, settings_.durable);
    redo(journal);
  } catch (...) {
    // What reached the disk is unknown until recover() runs; drop every cached belief.
    discardDirty();
    madeDirectories_.clear();
    throw;
  }
  for (auto& [key, change] : dirty_) cache(key, std::move(change.next));
  dirty_.clear();
}

void Generation::redo(const std::string& journal) {
  const fs::path journalPath = settings_.directory / kJournalName;
  auto corrupt = [&](const std::string& why) {
    return CorruptionError("projection '" + settings_.projection + "': journal '" +
                           journalPath.string() + "' " + why);
  };
  std::optional<CommitFile> commit;
  std::size_t lineStart = 0;
  std::size_t lineNumber = 0;
  ensureDirectory(settings_.directory / "state");
  ensureDirectory(settings_.directory / "tmp");
  std::set<fs::path> shrunkTagFolders;
  while (lineStart < journal.size()) {
    std::size_t lineEnd = journal.find('\n', lineStart);
    if (lineEnd == std::string::npos) throw corrupt("ends without a newline");
    std::string line = journal.substr(lineStart, lineEnd - lineStart);
    lineStart = lineEnd + 1;
    ++lineNumber;
    if (sdk::jsonNestsDeeperThan(line, sdk::kMaxNestingDepth + 4)) {
      throw corrupt("line " + std::to_string(lineNumber) + " nests deeper than the store writes");
    }
    rapidjson::Document doc;
    doc.Parse(line.c_str(), line.size());
    if (doc.HasParseError()) throw corrupt("line " + std::to_string(lineNumber) + " is not JSON");
    if (lineNumber == 1) {
      if (!doc.IsObject() || !doc.HasMember("format") || !doc["format"].IsString() ||
          asString(doc["format"]) != kBatchFormat || !doc.HasMember("version") ||
          !doc["version"].IsInt() || doc["version"].GetInt() != kFormatVersion) {
        throw corrupt("is not an opossum projection batch journal of version " +
                      std::to_string(kFormatVersion));
      }
      if (doc.HasMember("commitFile") && doc["commitFile"].IsString() && doc.HasMember("commit") &&
          doc["commit"].IsString()) {
        commit = CommitFile{fs::path(asString(doc["commitFile"])), asString(doc["commit"])};
      }
      continue;
    }
    if (!doc.IsArray() || doc.Size() < 2 || !doc[0].IsString() || !doc[1].IsString()) {
      throw corrupt("line " + std::to_string(lineNumber) + " is not an operation");
    }
    const std::string kind = asString(doc[0]);
    const std::string stem = asString(doc[1]);
    if (kind == "del") {
      fs_.remove(statePath(stem));
      continue;
    }
    if (doc.Size() != 3 || !doc[2].IsString()) {
      throw corrupt("line " + std::to_string(lineNumber) + " lacks its argument");
    }
    const std::string argument = asString(doc[2]);
    if (kind == "put") {
      writeState(stem, argument);
    } else if (kind == "tag+") {
      const fs::path dir = settings_.directory / "tags" / stem;
      ensureDirectory(dir);
      fs_.openWritable(dir / argument, sdk::OpenMode::truncate);
    } else if (kind == "tag-") {
      const fs::path dir = settings_.directory / "tags" / stem;
      fs_.remove(dir / argument);
      shrunkTagFolders.insert(dir);
    } else {
      throw corrupt("line " + std::to_string(lineNumber) + " has the unknown operation '" + kind +
                    "'");
    }
  }
  // A tag no instance carries any more leaves no folder behind (the folder is made again when
  // needed). A folder that still holds markers refuses the removal, which is fine.
  for (const fs::path& dir : shrunkTagFolders) {
    try {
      fs_.remove(dir);
      madeDirectories_.erase(dir);
    } catch (const IoError&) {
    }
  }
  if (settings_.durable) fs_.syncFileSystem(settings_.directory);
  if (commit) {
    const fs::path target = settings_.root / commit->relativePath;
    fs_.replaceFile(target, commit->content, settings_.durable);
    if (settings_.writeProtect) fs_.setReadOnly(target, true);
  }
  fs_.remove(journalPath);
  // An empty tmp/ is not left behind; it is made again by the next flush.
  fs_.remove(settings_.directory / "tmp");
  madeDirectories_.erase(settings_.directory / "tmp");
}

void Generation::recover() {
  discardDirty();
  madeDirectories_.clear();
  if (!fs_.exists(settings_.directory)) return;
  // Files of a flush that did not reach its rename.
  fs_.removeAll(settings_.directory / "tmp");
  auto journal = fs_.readFile(settings_.directory / kJournalName);
  if (journal) redo(*journal);
}

std::vector<StateEntry> Generation::all() {
  std::vector<std::string> names = fs_.listDirectory(settings_.directory / "state");
  std::sort(names.begin(), names.end());
  std::vector<StateEntry> out;
  const std::string suffix = kStateSuffix;
  for (const std::string& name : names) {
    if (name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    if (auto entry = readState(name.substr(0, name.size() - suffix.size()))) {
      out.push_back(std::move(*entry));
    }
  }
  return out;
}

std::vector<StateEntry> Generation::withTags(const std::vector<Tag>& tags) {
  if (tags.empty()) return all();
  std::vector<std::string> stems =
      fs_.listDirectory(settings_.directory / "tags" / sdk::tagFileStem(tags[0]));
  std::sort(stems.begin(), stems.end());
  std::vector<StateEntry> out;
  for (const std::string& stem : stems) {
    auto entry = readState(stem);
    // The state file is the truth; a marker only says where to look.
    if (!entry) continue;
    bool carriesAll = std::all_of(tags.begin(), tags.end(),
                                  [&](const Tag& tag) { return contains(entry->tags, tag); });
    if (carriesAll) out.push_back(std::move(*entry));
  }
  return out;
}

}  // namespace opossum::detail
