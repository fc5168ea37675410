// The commit log of the file-per-event store. One record holds a whole group commit (the bytes
// of every event file it creates); writing the record and syncing it once is the commit point.
// Event files and index entries are then written without syncs: after a crash, recovery
// completes them from the journal. The file is preallocated with zeros so a sync flushes data
// only, and reused from the start once the files it covers are synced (a checkpoint).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "opossum/sdk/file_system.hpp"
#include "opossum/types.hpp"

namespace opossum::plugins::file_storage {

struct JournalRecord {
  Position firstPosition = 0;
  std::vector<std::string> eventFiles;  // serialized events, positions first..first+n-1
  Position lastPosition() const { return firstPosition + eventFiles.size() - 1; }
};

class Journal {
 public:
  // Opens (creating and preallocating when missing) the journal at `path`.
  Journal(std::shared_ptr<sdk::FileSystem> fs, std::filesystem::path path, std::uint64_t capacity);

  // Bytes a record will take in the journal.
  static std::uint64_t encodedSize(const JournalRecord& record);
  // Whether a record of `size` bytes fits at `offset` without wrapping.
  bool fits(std::uint64_t offset, std::uint64_t size) const { return offset + size <= capacity_; }
  // Writes the record at `offset` (growing the file when a record is larger than the whole
  // journal) and, when `sync`, makes it durable. Returns the offset after it.
  std::uint64_t write(std::uint64_t offset, const JournalRecord& record, bool sync);
  // Makes every record written so far durable.
  void sync() { writer_->sync(); }
  // Best effort: makes the record at `offset` unreadable (an append that failed half-way).
  void invalidate(std::uint64_t offset) noexcept;
  // The valid record at `offset` whose first position is `expectedFirst`, if there is one.
  std::optional<JournalRecord> readAt(std::uint64_t offset, Position expectedFirst,
                                      std::uint64_t* next = nullptr);
  // The chain of valid records from the start of the journal with consecutive positions.
  struct Chain {
    std::vector<JournalRecord> records;
    std::uint64_t endOffset = 0;
  };
  Chain scan();

 private:
  std::shared_ptr<sdk::FileSystem> fs_;
  std::filesystem::path path_;
  std::uint64_t capacity_;
  std::unique_ptr<sdk::WritableFile> writer_;
  std::unique_ptr<sdk::ReadableFile> reader_;
};

}  // namespace opossum::plugins::file_storage
