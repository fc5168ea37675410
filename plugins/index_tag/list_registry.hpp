// The posting files ever created, each with the first position it listed (positions/lists.log,
// append-only, one "<first> <path>" line per file created). A posting file that is missing
// although the mark covers its first position was deleted, not never written: the index then
// refuses to answer rather than answer without it (an append condition would pass).
// "#<mark> <count> <path>" lines record how many entries <= mark a list held when a materialize()
// moved the mark there, so that entries cut off a list are noticed too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "opossum/sdk/file_system.hpp"
#include "opossum/types.hpp"

namespace opossum::plugins::tag_index {

inline const std::filesystem::path kListsFile = "positions/lists.log";

// The registry's first line, with '\n'.
std::string listsHeader();
// One record: "<first> <relative path>\n".
std::string formatListRecord(Position first, const std::filesystem::path& relative);
// The record of one line (without '\n'); nullopt when it is not one.
std::optional<std::pair<Position, std::string>> parseListRecord(std::string_view line);

// How many entries <= mark a list held.
struct ListCount {
  Position mark = 0;
  std::uint64_t count = 0;
};
std::string formatCountRecord(const ListCount& count, const std::filesystem::path& relative);
std::optional<std::pair<ListCount, std::string>> parseCountRecord(std::string_view line);

// Thread-safe.
class ListRegistry {
 public:
  ListRegistry(std::shared_ptr<sdk::FileSystem> files, std::filesystem::path path);

  // Whether the registry file exists (stores made before it have none; nothing is checked then).
  bool exists();
  // The first position last recorded for `relative`, after reading what was appended since the
  // last call; nullopt when the file was never recorded.
  std::optional<Position> first(const std::filesystem::path& relative);
  // The last count recorded for each of `relatives`, if any (one look at the file for all).
  std::vector<std::optional<ListCount>> counts(const std::vector<std::filesystem::path>& relatives);
  std::optional<ListCount> count(const std::filesystem::path& relative) {
    return counts({relative}).front();
  }
  void recordCounts(const std::vector<std::pair<ListCount, std::filesystem::path>>& counts);
  // Appends records, creating the file with its header (not synced: the storage's checkpoints
  // sync the folder, and a record lost with its file is harmless).
  void record(const std::vector<std::pair<Position, std::filesystem::path>>& lists);
  // Drops the records of files whose first position is after `bound` (atomically replaced):
  // recovery cut such files away, and positions after `bound` may come again with other tags.
  void keepUpTo(Position bound);
  // Drops every count record (after a crash or a power loss, records and list entries may have
  // survived unevenly): counts are taken from the files again as lists are next written.
  void dropCounts();
  // Forgets what was read (the folder was replaced).
  void forget();

 private:
  bool existsLocked();
  void catchUpLocked();
  void forgetLocked();
  void rewriteLocked(Position bound, bool counts);

  std::mutex mutex_;
  std::shared_ptr<sdk::FileSystem> files_;
  std::filesystem::path path_;
  std::unique_ptr<sdk::ReadableFile> reader_;
  std::uint64_t offset_ = 0;
  std::unordered_map<std::string, Position> first_;
  std::unordered_map<std::string, ListCount> counts_;
  void append(std::string lines);
};

}  // namespace opossum::plugins::tag_index
