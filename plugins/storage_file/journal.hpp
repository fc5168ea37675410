// The commit log of the file-per-event store. One record holds a whole group commit (the bytes
// of every event file it creates); writing the record and syncing it once is the commit point.
// Event files are written from it later, off the commit path (the materializer); until then
// readers read the events here. The file is preallocated with zeros so a sync flushes data only,
// grows while the materializer lags, and is reused from the start once every file it covers is
// written and synced (a checkpoint).
#pragma once

#include <algorithm>
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
  std::vector<std::uint64_t> offsets;   // where each event's bytes are in the journal (readAt)
  Position lastPosition() const { return firstPosition + eventFiles.size() - 1; }
};

class Journal {
 public:
  // Opens (creating and preallocating when missing) the journal at `path`.
  Journal(std::shared_ptr<sdk::FileSystem> fs, std::filesystem::path path, std::uint64_t capacity);
  // Opens the journal for reading only; nullptr when it does not exist.
  static std::unique_ptr<Journal> openForReading(std::shared_ptr<sdk::FileSystem> fs,
                                                 std::filesystem::path path);

  // Bytes a record will take in the journal.
  static std::uint64_t encodedSize(const JournalRecord& record);
  // Whether a record of `size` bytes fits at `offset` without wrapping.
  bool fits(std::uint64_t offset, std::uint64_t size) const { return offset + size <= capacity_; }
  std::uint64_t capacity() const { return capacity_; }
  // Learns the size another writer (process or store object) may have grown the file to.
  void refreshCapacity() { capacity_ = std::max(capacity_, writer_->size()); }
  // Extends the preallocated zeros to `capacity` bytes (synced).
  void grow(std::uint64_t capacity);
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
  // Where an event's bytes lie in the journal.
  struct Extent {
    std::uint64_t offset = 0;
    std::uint32_t length = 0;
  };
  // The same record's events as places only, appended to `out` (nothing is appended when there
  // is no valid record): what a reader's window needs, without copying the events.
  bool extentsAt(std::uint64_t offset, Position expectedFirst, std::vector<Extent>& out,
                 std::uint64_t* next = nullptr);
  // The first position of the record at the start of the journal, if one is there.
  std::optional<Position> firstPosition();
  // The chain of valid records from the start of the journal with consecutive positions.
  struct Chain {
    std::vector<JournalRecord> records;
    std::uint64_t endOffset = 0;
  };
  Chain scan();
  // Raw bytes at `offset` (an event located through JournalRecord::offsets).
  std::string readBytes(std::uint64_t offset, std::size_t length) {
    return reader_->readAt(offset, length);
  }

 private:
  Journal() = default;
  // The checked body of the record, its events' places appended to `events`.
  std::optional<std::string> bodyAt(std::uint64_t offset, Position expectedFirst,
                                    std::vector<Extent>& events, std::uint64_t* next);

  std::shared_ptr<sdk::FileSystem> fs_;
  std::filesystem::path path_;
  std::uint64_t capacity_ = 0;
  std::unique_ptr<sdk::WritableFile> writer_;
  std::unique_ptr<sdk::ReadableFile> reader_;
};

}  // namespace opossum::plugins::file_storage
