#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <set>

#include "opossum/errors.hpp"
#include "opossum/sdk/file_names.hpp"
#include "opossum/sdk/json_text.hpp"
#include "opossum/sdk/nesting.hpp"
#include "opossum/sdk/projection_state.hpp"

namespace opossum::sdk {

namespace {

namespace fs = std::filesystem;

constexpr const char* kStateFormat = "opossum-projection-state";
constexpr const char* kBatchFormat = "opossum-projection-batch";
constexpr int kFormatVersion = 1;
constexpr const char* kJournalName = "batch.journal";
constexpr const char* kStateSuffix = ".json";
const fs::path kRecordsFolder = "_checkpoints";

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

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

// A record's file, below the root.
fs::path recordFile(const std::string& projection, ProjectionRecordKind kind) {
  return kRecordsFolder / (fileStem(projection) +
                           (kind == ProjectionRecordKind::checkpoint ? ".json" : ".rebuild.json"));
}

// g<N> folder names.
std::optional<std::uint64_t> generationOf(const std::string& name) {
  if (name.size() < 2 || name[0] != 'g' || name.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  return value;
}

// {root}/{projection}/g{N}/: state/{instance}.json, tags/{tag}/{instance} markers, and while a
// batch is written batch.journal, which names every step and the record written last.
class FileGeneration final : public ProjectionGeneration {
 public:
  FileGeneration(fs::path root, fs::path directory, std::string projection,
                 std::shared_ptr<FileSystem> fileSystem, GenerationOptions options)
      : root_(std::move(root)),
        directory_(std::move(directory)),
        projection_(std::move(projection)),
        fileSystem_(std::move(fileSystem)),
        fs_(*fileSystem_),
        options_(options) {}

  void recover() override;
  std::optional<ProjectionInstance> read(const std::string& key) override;
  void write(const std::vector<InstanceChange>& changes,
             const std::optional<ProjectionRecord>& record) override;
  std::vector<ProjectionInstance> all() override;
  std::vector<ProjectionInstance> withTags(const std::vector<Tag>& tags) override;
  std::uint64_t count() override;

 private:
  fs::path statePath(const std::string& stem) const {
    return directory_ / "state" / (stem + kStateSuffix);
  }
  std::optional<ProjectionInstance> readState(const std::string& stem);
  std::string envelope(const ProjectionInstance& entry) const;
  void ensureDirectory(const fs::path& dir) {
    if (madeDirectories_.count(dir)) return;
    fs_.createDirectories(dir);
    madeDirectories_.insert(dir);
  }
  // Applies the journal lines (after the header) and the record, then removes the journal.
  void redo(const std::string& journal);
  void writeState(const std::string& stem, const std::string& content);

  fs::path root_;
  fs::path directory_;
  std::string projection_;
  std::shared_ptr<FileSystem> fileSystem_;
  FileSystem& fs_;
  GenerationOptions options_;
  std::set<fs::path> madeDirectories_;
};

std::string FileGeneration::envelope(const ProjectionInstance& entry) const {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("format");
  writer.String(kStateFormat);
  writer.Key("version");
  writer.Int(kFormatVersion);
  writer.Key("projection");
  writeString(writer, projection_);
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

std::optional<ProjectionInstance> FileGeneration::readState(const std::string& stem) {
  const fs::path path = statePath(stem);
  auto text = fs_.readFile(path);
  if (!text) return std::nullopt;
  auto corrupt = [&](const std::string& why) {
    return CorruptionError("projection '" + projection_ + "': state file '" + path.string() + "' " +
                           why);
  };
  // A state nested within its key's record: a little deeper than a state may be.
  if (jsonNestsDeeperThan(*text, kMaxNestingDepth + 4)) {
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
  ProjectionInstance entry;
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

void FileGeneration::writeState(const std::string& stem, const std::string& content) {
  if (options_.unpublished && !options_.writeProtect) {
    // Nobody reads these files yet, and after a crash recover() redoes the journaled batch, so a
    // torn file cannot be seen. Rewritten in place, a file keeps its inode and its block: a
    // rebuild rewrites each instance once per flush, and creating and freeing files is what file
    // systems are slowest at (with the `discard` mount option each freed block waits for the
    // disk).
    auto file = fs_.openWritable(statePath(stem), OpenMode::append);
    file->writeAt(0, content);
    file->truncate(content.size());
    return;
  }
  const fs::path temp = directory_ / "tmp" / stem;
  {
    auto file = fs_.openWritable(temp, OpenMode::truncate);
    file->append(content);
  }
  if (options_.writeProtect) fs_.setReadOnly(temp, true);
  fs_.rename(temp, statePath(stem));
}

std::optional<ProjectionInstance> FileGeneration::read(const std::string& key) {
  auto entry = readState(fileStem(key));
  if (entry && entry->key != key) {
    throw CorruptionError("projection '" + projection_ + "': state file '" +
                          statePath(fileStem(key)).string() + "' holds key '" + entry->key +
                          "', expected '" + key + "'");
  }
  return entry;
}

void FileGeneration::write(const std::vector<InstanceChange>& changes,
                           const std::optional<ProjectionRecord>& record) {
  if (changes.empty() && !record) return;
  std::optional<fs::path> commitFile;
  if (record) commitFile = recordFile(projection_, record->kind);
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
    writeString(writer, projection_);
    if (record) {
      writer.Key("commitFile");
      writeString(writer, commitFile->generic_string());
      writer.Key("commit");
      writeString(writer, record->content);
    }
    writer.EndObject();
    journal.assign(buffer.GetString(), buffer.GetSize());
    journal += '\n';
  }
  for (const InstanceChange& change : changes) {
    const std::string stem = fileStem(change.key);
    static const std::vector<Tag> kNone;
    const std::vector<Tag>& next = change.next ? change.next->tags : kNone;
    for (const Tag& tag : next) {
      if (!contains(change.storedTags, tag)) journal += opLine({"tag+", tagFileStem(tag), stem});
    }
    journal +=
        change.next ? opLine({"put", stem, envelope(*change.next)}) : opLine({"del", stem, ""});
    for (const Tag& tag : change.storedTags) {
      if (!contains(next, tag)) journal += opLine({"tag-", tagFileStem(tag), stem});
    }
  }
  try {
    if (changes.empty()) {
      // Nothing but the record: one atomic file replacement is enough.
      const fs::path target = root_ / *commitFile;
      ensureDirectory(target.parent_path());
      fs_.replaceFile(target, record->content, options_.durable);
      if (options_.writeProtect) fs_.setReadOnly(target, true);
      return;
    }
    ensureDirectory(directory_);
    fs_.replaceFile(directory_ / kJournalName, journal, options_.durable);
    redo(journal);
  } catch (...) {
    // What reached the disk is unknown until recover() runs.
    madeDirectories_.clear();
    throw;
  }
}

void FileGeneration::redo(const std::string& journal) {
  const fs::path journalPath = directory_ / kJournalName;
  auto corrupt = [&](const std::string& why) {
    return CorruptionError("projection '" + projection_ + "': journal '" + journalPath.string() +
                           "' " + why);
  };
  std::optional<std::pair<fs::path, std::string>> commit;
  std::size_t lineStart = 0;
  std::size_t lineNumber = 0;
  ensureDirectory(directory_ / "state");
  ensureDirectory(directory_ / "tmp");
  std::set<fs::path> shrunkTagFolders;
  while (lineStart < journal.size()) {
    std::size_t lineEnd = journal.find('\n', lineStart);
    if (lineEnd == std::string::npos) throw corrupt("ends without a newline");
    std::string line = journal.substr(lineStart, lineEnd - lineStart);
    lineStart = lineEnd + 1;
    ++lineNumber;
    if (jsonNestsDeeperThan(line, kMaxNestingDepth + 4)) {
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
        commit.emplace(fs::path(asString(doc["commitFile"])), asString(doc["commit"]));
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
      const fs::path dir = directory_ / "tags" / stem;
      ensureDirectory(dir);
      fs_.openWritable(dir / argument, OpenMode::truncate);
    } else if (kind == "tag-") {
      const fs::path dir = directory_ / "tags" / stem;
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
  if (options_.durable) fs_.syncFileSystem(directory_);
  if (commit) {
    const fs::path target = root_ / commit->first;
    ensureDirectory(target.parent_path());
    fs_.replaceFile(target, commit->second, options_.durable);
    if (options_.writeProtect) fs_.setReadOnly(target, true);
  }
  fs_.remove(journalPath);
  // An empty tmp/ is not left behind; it is made again by the next flush.
  fs_.remove(directory_ / "tmp");
  madeDirectories_.erase(directory_ / "tmp");
}

void FileGeneration::recover() {
  madeDirectories_.clear();
  if (!fs_.exists(directory_)) return;
  // Files of a flush that did not reach its rename.
  fs_.removeAll(directory_ / "tmp");
  auto journal = fs_.readFile(directory_ / kJournalName);
  if (journal) redo(*journal);
}

std::vector<ProjectionInstance> FileGeneration::all() {
  std::vector<std::string> names = fs_.listDirectory(directory_ / "state");
  std::sort(names.begin(), names.end());
  std::vector<ProjectionInstance> out;
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

std::vector<ProjectionInstance> FileGeneration::withTags(const std::vector<Tag>& tags) {
  if (tags.empty()) return all();
  std::vector<std::string> stems = fs_.listDirectory(directory_ / "tags" / tagFileStem(tags[0]));
  std::sort(stems.begin(), stems.end());
  std::vector<ProjectionInstance> out;
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

std::uint64_t FileGeneration::count() {
  std::uint64_t n = 0;
  const std::string suffix = kStateSuffix;
  for (const std::string& name : fs_.listDirectory(directory_ / "state")) {
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      ++n;
    }
  }
  return n;
}

class FileProjectionStates final : public ProjectionStates {
 public:
  FileProjectionStates(fs::path root, std::shared_ptr<FileSystem> fileSystem)
      : root_(std::move(root)), fileSystem_(std::move(fileSystem)) {}

  std::optional<std::string> readRecord(const std::string& projection,
                                        ProjectionRecordKind kind) override {
    return fileSystem_->readFile(root_ / recordFile(projection, kind));
  }
  void writeRecord(const std::string& projection, const ProjectionRecord& record,
                   const GenerationOptions& options) override {
    const fs::path path = root_ / recordFile(projection, record.kind);
    fileSystem_->createDirectories(path.parent_path());
    fileSystem_->replaceFile(path, record.content, options.durable);
    if (options.writeProtect) fileSystem_->setReadOnly(path, true);
  }
  void removeRecord(const std::string& projection, ProjectionRecordKind kind) override {
    fileSystem_->remove(root_ / recordFile(projection, kind));
  }
  std::vector<std::uint64_t> generations(const std::string& projection) override {
    std::vector<std::uint64_t> out;
    for (const std::string& name : fileSystem_->listDirectory(root_ / fileStem(projection))) {
      if (auto generation = generationOf(name)) out.push_back(*generation);
    }
    return out;
  }
  void removeGeneration(const std::string& projection, std::uint64_t generation) override {
    fileSystem_->removeAll(folder(projection, generation));
  }
  std::unique_ptr<ProjectionGeneration> generation(const std::string& projection,
                                                   std::uint64_t generation,
                                                   const GenerationOptions& options) override {
    return std::make_unique<FileGeneration>(root_, folder(projection, generation), projection,
                                            fileSystem_, options);
  }

 private:
  fs::path folder(const std::string& projection, std::uint64_t generation) const {
    return root_ / fileStem(projection) / ("g" + std::to_string(generation));
  }

  fs::path root_;
  std::shared_ptr<FileSystem> fileSystem_;
};

}  // namespace

std::shared_ptr<ProjectionStates> fileProjectionStates(std::filesystem::path root,
                                                       std::shared_ptr<FileSystem> fileSystem) {
  return std::make_shared<FileProjectionStates>(std::move(root), std::move(fileSystem));
}

}  // namespace opossum::sdk
