// The "tag-index" index plugin: one append-only posting list file per event type and per tag, and
// a positions file that lists the type and tags of every position, from which a process learns
// what other processes committed. Queries are answered from sorted position lists in memory,
// loaded lazily per type or tag and kept current by add() and by catching up on the positions
// file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "index_file_names.hpp"
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
  // add() writes the posting files itself, so there is nothing left to write.
  void materialize(Position) override {}
  void truncateAfter(Position head) override;
  void reset() override;
  void addTags(std::span<const sdk::IndexedEvent> additions) override;

  // For white-box tests: whether a list is held in memory.
  bool isTypeLoaded(const std::string& eventType) const;
  bool isTagLoaded(const Tag& tag) const;

 private:
  struct Header {
    std::uint64_t end = 0;  // offset after the header line
    bool torn = false;      // the file holds only the beginning of a header (being created)
  };

  std::filesystem::path positionsPath() const { return directory_ / kPositionsFile; }
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
  void truncateAfterLocked(Position head);
  // Cuts an .idx file after its last entry <= head (removing a torn or garbage tail); removes it
  // when no entry remains. Returns whether it changed.
  bool truncatePostingFile(const std::filesystem::path& path, Position head);

  std::filesystem::path directory_;
  std::shared_ptr<sdk::FileSystem> fileSystem_;
  std::shared_ptr<sdk::Logger> logger_;
  bool fullRecoveryScan_ = false;

  mutable std::shared_mutex mutex_;
  bool started_ = false;   // caughtUp_ and offset_ are known
  Position caughtUp_ = 0;  // loaded lists hold exactly the entries <= caughtUp_
  std::uint64_t offset_ =
      0;  // positions file offset after the line of caughtUp_ (0: no header yet)
  std::unordered_map<std::string, std::vector<Position>> types_;
  std::unordered_map<Tag, std::vector<Position>, TagHash> tags_;
};

}  // namespace opossum::plugins::tag_index
