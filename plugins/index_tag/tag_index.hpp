// The "tag-index" index plugin: one append-only posting list file per event type and per tag, and
// a positions file that lists the type and tags of every position, from which a process learns
// what other processes committed. add() writes the positions file only; materialize() writes the
// posting files later, up to a mark. Queries are answered from sorted position lists in memory,
// loaded lazily per type or tag (posting file up to the mark, then the "tail" of the positions
// file this instance read) and kept current by add() and by catching up on the positions file.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "index_check.hpp"
#include "index_file_names.hpp"
#include "list_registry.hpp"
#include "mark_file.hpp"
#include "opossum/sdk/index.hpp"
#include "posting_list.hpp"

namespace opossum::plugins::tag_index {

struct TagHash {
  std::size_t operator()(const Tag& tag) const noexcept {
    std::size_t h = std::hash<std::string>()(tag.key);
    return h ^ (std::hash<std::string>()(tag.value) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  }
};

class TagIndex : public sdk::Index {
 public:
  // Reads the options (ConfigError for unknown ones); touches no file until first used.
  explicit TagIndex(const sdk::IndexContext& context);

  std::string formatName() const override;
  int formatVersion() const override;
  std::vector<Position> positions(const Query& query, const ReadOptions& options,
                                  Position head) override;
  void add(std::span<const sdk::IndexedEvent> events) override;
  void materialize(Position upTo) override;
  void truncateAfter(Position head) override;
  void reset() override;
  void addTags(std::span<const sdk::IndexedEvent> additions) override;
  // sdk::Capability::indexCheck: TagIndexCheck over this folder.
  void* capability(sdk::Capability id) override;

  // For white-box tests: whether a list is held in memory.
  bool isTypeLoaded(const std::string& eventType) const;
  bool isTagLoaded(const Tag& tag) const;
  // For white-box tests: the tail, positions (tailBase, caughtUp] learnt from the positions file
  // and not read from posting files, per type and per tag.
  Position tailBase() const;
  std::size_t tailEntries() const;
  std::vector<Position> typeTail(const std::string& eventType) const;
  std::vector<Position> tagTail(const Tag& tag) const;
  // The mark as a reader of the folder sees it (a blank one beside posting files has W unknown).
  Mark readMark() const;

  // Every this many tail positions, catching up reads the mark again to drop what other
  // instances materialized meanwhile.
  static constexpr Position kTailCheck = 4096;

 private:
  struct Header {
    std::uint64_t end = 0;  // offset after the header line
    bool torn = false;      // the file holds only the beginning of a header (being created)
  };

  std::filesystem::path positionsPath() const { return directory_ / kPositionsFile; }
  std::filesystem::path markPath() const { return directory_ / kMarkFile; }
  std::filesystem::path scanRequestPath() const { return directory_ / kScanRequestFile; }
  Header readPositionsHeader(sdk::ReadableFile& file, std::uint64_t size) const;

  bool loadedLocked(const Query& query) const;
  // Lists of `query` in (from, bound]; nullopt when one of them is not loaded yet.
  std::optional<std::vector<ItemSpans>> collectLocked(const Query& query, Position from,
                                                      Position bound) const;
  std::vector<Position> answerLocked(const Query& query, const ReadOptions& options,
                                     Position head) const;
  void loadLocked(const Query& query);
  void startLocked(Position head);
  void catchUpLocked(Position head);
  void applyLocked(const sdk::IndexedEvent& event);
  // Drops the tail entries <= min(posted, caughtUp_), which posting files now hold.
  void trimTailLocked(Position posted);
  // Reads the mark again when the tail has grown by kTailCheck positions since the last look.
  void maybeTrimLocked();
  void forgetLocked();
  void truncateAfterLocked(Position head);
  // Cuts an .idx file after its last entry <= head (removing a torn or garbage tail); removes it
  // when no entry remains. Returns whether it changed.
  bool truncatePostingFile(const std::filesystem::path& path, Position head);
  // The same, but first checks cheaply whether the last line is already an entry <= head.
  void cutBeforeAppend(const std::filesystem::path& path, Position head);
  // Cuts every .idx file of the folder; returns how many changed.
  std::size_t truncateAllPostingFiles(Position head,
                                      const std::set<std::filesystem::path>& skip = {});
  bool anyPostingFile() const;
  // Throws CorruptionError when the posting file `relative` is missing but should list entries
  // <= base_ (the registry recorded it with such a first position).
  void checkMissingLocked(const std::filesystem::path& relative);
  // Throws CorruptionError when the posting file `relative` holds fewer or more entries up to
  // the mark of its last count record than that record says (entries cut off or added).
  void checkCountLocked(const std::filesystem::path& relative,
                        const std::vector<Position>& entries);
  // Records the posting files of a store made before the registry existed (listing the folders).
  void seedRegistry();
  void writeMark(const Mark& mark);

  std::filesystem::path directory_;
  std::shared_ptr<sdk::FileSystem> fileSystem_;
  std::shared_ptr<sdk::Logger> logger_;
  TagIndexCheck check_;
  bool fullRecoveryScan_ = false;

  mutable std::shared_mutex mutex_;
  bool started_ = false;   // caughtUp_, offset_ and base_ are known
  Position caughtUp_ = 0;  // loaded lists hold exactly the entries <= caughtUp_
  std::uint64_t offset_ =
      0;  // positions file offset after the line of caughtUp_ (0: no header yet)
  // Posting files are complete up to base_ (a mark read since the tail began, or lower); the tail
  // maps hold every position in (base_, caughtUp_] of their type or tag, from the positions file.
  // A list is loaded as its file's entries <= base_ followed by its tail entries.
  Position base_ = 0;
  Position nextMarkCheck_ = kTailCheck;  // tail length at which maybeTrimLocked reads the mark
  std::uint64_t generation_ = 0;         // changes when the memory state is dropped
  std::unordered_map<std::string, std::vector<Position>> types_;
  std::unordered_map<Tag, std::vector<Position>, TagHash> tags_;
  std::unordered_map<std::string, std::vector<Position>> tailTypes_;
  std::unordered_map<Tag, std::vector<Position>, TagHash> tailTags_;
  // The same tail in position order, so materialize() and trimming cost the entries they touch,
  // not the number of types and tags in the tail.
  std::deque<sdk::IndexedEvent> tailLog_;
  std::unique_ptr<sdk::WritableFile> positionsWriter_;  // open between appends
  ListRegistry registry_;  // read under mutex_; materialize() and addTags() append to its file
};

}  // namespace opossum::plugins::tag_index
