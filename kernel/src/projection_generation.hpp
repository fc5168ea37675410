// One generation of a projection's instances on disk: {root}/{projection}/g{N}/ with one state
// file per key (state/), the tag index (tags/{tag}/{key} markers) and, while a batch is written,
// batch.journal. Changes collect in memory and reach the disk in flush(), which writes them and a
// commit file (checkpoint or rebuild progress) as one atomic step through the journal: after a
// crash, recover() redoes the journaled batch, so state, tags and commit always agree.
// Not thread-safe: the projection's owner serialises calls.
#pragma once

#include <cstddef>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "opossum/sdk/file_system.hpp"
#include "opossum/types.hpp"

namespace opossum::detail {

struct StateEntry {
  std::string key;
  std::vector<Tag> tags;
  std::string json;  // compact JSON text
};

struct GenerationSettings {
  std::filesystem::path root;       // the projections folder; commit files are relative to it
  std::filesystem::path directory;  // {root}/{projection stem}/g{N}
  std::string projection;           // for state files and messages
  std::shared_ptr<sdk::FileSystem> fileSystem;
  bool durable = true;        // sync each flush before it returns
  bool writeProtect = false;  // state and commit files read-only
  // No reader sees this generation yet (a rebuild's): state files are rewritten in place.
  bool unpublished = false;
  std::size_t cacheSize = 10000;
};

// A file written as the last step of a flush (the checkpoint, or a rebuild's progress).
struct CommitFile {
  std::filesystem::path relativePath;  // below GenerationSettings::root
  std::string content;
};

// Compact form of one JSON value, numbers kept as written; InvalidArgumentError naming `what`
// when `json` is not exactly one valid JSON value.
std::string compactJson(std::string_view json, const std::string& what);

class Generation {
 public:
  explicit Generation(GenerationSettings settings);

  const GenerationSettings& settings() const { return settings_; }

  // Removes leftovers of an interrupted flush and redoes its journaled batch, if any.
  void recover();

  // The current instance (unflushed changes included), or nullopt.
  std::optional<StateEntry> load(const std::string& key);
  void put(StateEntry entry);
  void erase(const std::string& key);
  std::size_t dirtyCount() const { return dirty_.size(); }
  // Instances held in memory: unflushed changes plus the cache (bounded by flushing and
  // cacheSize, never by the number of keys).
  std::size_t instancesInMemory() const { return dirty_.size() + cache_.size(); }
  // Writes the changes and then `commit` (when given) atomically; a no-op without either.
  void flush(const std::optional<CommitFile>& commit);
  // Forgets unflushed changes (after a failure).
  void discardDirty();

  // Flushed instances only, in file-name order.
  std::vector<StateEntry> all();
  // Flushed instances carrying every tag (all when `tags` is empty), in file-name order.
  std::vector<StateEntry> withTags(const std::vector<Tag>& tags);

 private:
  struct Change {
    std::optional<StateEntry> next;  // nullopt: delete
    std::vector<Tag> diskTags;       // tags of the flushed instance (empty when none)
  };
  struct CacheNode {
    std::optional<StateEntry> entry;
    std::list<std::string>::iterator lru;
  };

  std::filesystem::path statePath(const std::string& stem) const;
  std::optional<StateEntry> readState(const std::string& stem);
  std::string envelope(const StateEntry& entry) const;
  void cache(const std::string& key, std::optional<StateEntry> entry);
  std::optional<std::optional<StateEntry>> cached(const std::string& key);
  void ensureDirectory(const std::filesystem::path& dir);
  // Applies the journal lines (after the header) and the commit, then removes the journal.
  void redo(const std::string& journal);
  void writeState(const std::string& stem, const std::string& content);

  GenerationSettings settings_;
  sdk::FileSystem& fs_;
  std::map<std::string, Change> dirty_;  // by key
  std::unordered_map<std::string, CacheNode> cache_;
  std::list<std::string> lru_;  // most recent first
  std::set<std::filesystem::path> madeDirectories_;
};

}  // namespace opossum::detail
