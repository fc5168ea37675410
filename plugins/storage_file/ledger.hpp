// ledger.json: the commit record readers trust. It names the last committed position, the
// store's generation (new after deleteStore), where the next journal record goes and how far the
// event files have been written from the journal. It is updated in place after each commit, so a
// reader that sees position N finds every event up to N (in its file or in the journal).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "opossum/sdk/file_system.hpp"
#include "opossum/types.hpp"

namespace opossum::plugins::file_storage {

struct Ledger {
  std::string generation;
  Position position = 0;
  std::uint64_t journalOffset = 0;
  // Event files and posting files exist for every position <= materialized; the journal record
  // of materialized + 1 starts at materializedOffset.
  Position materialized = 0;
  std::uint64_t materializedOffset = 0;
  std::uint64_t tagRevision = 0;  // counts tag migrations: cached indexes are stale after one
  std::string bootId;  // the machine boot that wrote it; another boot means a power loss may
                       // have dropped unsynced files, so recovery replays the whole journal
  friend bool operator==(const Ledger&, const Ledger&) = default;
};

// The ledger that `text` (the file's bytes) holds; CorruptionError naming `path` when it cannot be
// parsed or its checksum does not match.
Ledger parseLedger(const std::string& text, const std::filesystem::path& path);
// nullopt when the file does not exist; CorruptionError when it cannot be parsed.
std::optional<Ledger> readLedger(sdk::FileSystem& fs, const std::filesystem::path& path);
void writeLedger(sdk::FileSystem& fs, const std::filesystem::path& path, const Ledger& ledger,
                 bool sync);
// The ledger as one store object uses it: kept open for reading and for writing, and parsed only
// when its bytes changed. A commit reads it and writes it once; this spares it opening the file
// twice and parsing JSON. Thread-safe.
class LedgerFile {
 public:
  LedgerFile(std::shared_ptr<sdk::FileSystem> fs, std::filesystem::path path);
  // As readLedger.
  std::optional<Ledger> read();
  // As writeLedger: created whole when missing, else updated in place.
  void write(const Ledger& ledger, bool sync);
  // Lets go of the files (the store directory is about to be deleted).
  void close();

 private:
  std::mutex mutex_;
  std::shared_ptr<sdk::FileSystem> fs_;
  std::filesystem::path path_;
  std::unique_ptr<sdk::ReadableFile> reader_;
  std::unique_ptr<sdk::WritableFile> writer_;  // the file of writerGeneration_
  std::string writerGeneration_;
  std::string text_;  // the last text read or written, and what it says
  std::optional<Ledger> ledger_;
};

std::string newGeneration();
// This boot of the machine (Linux boot_id), or "" where unknown.
const std::string& currentBootId();

}  // namespace opossum::plugins::file_storage
