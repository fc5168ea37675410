// The "file-per-event" storage engine (SPEC §4): one file per event, a tag index, a journal
// that commits each group of appends with one sync, and ledger.json naming the committed head.
//
// Append (under .store.lock): read the ledger, finish any commit a crashed writer left, check
// each request's condition through the index, write one journal record (sync: the commit
// point), write the event files and index entries, then replace the ledger. Readers take no
// lock: they read the ledger and only look at positions up to its head.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "event_cache.hpp"
#include "journal.hpp"
#include "ledger.hpp"
#include "opossum/sdk/storage.hpp"
#include "sync_worker.hpp"
#include "tag_migration.hpp"

namespace opossum::plugins::file_storage {

class FileStorage : public sdk::Storage {
 public:
  explicit FileStorage(const sdk::StorageContext& context);
  ~FileStorage() override;

  std::vector<sdk::AppendResult> append(std::span<const sdk::AppendRequest> requests,
                                        std::stop_token cancel) override;
  std::vector<SequencedEvent> read(const Query& query, const ReadOptions& options) override;
  std::optional<SequencedEvent> readLast(const Query& query) override;
  Position head() override;
  void deleteStore(std::stop_token cancel) override;
  TagMigrationResult addTags(
      const std::string& eventType,
      const std::function<std::vector<Tag>(const SequencedEvent&)>& tagFactory,
      std::stop_token cancel) override;

  std::filesystem::path eventPath(Position position) const;

 private:
  struct View {
    std::string generation;
    Position head = 0;
  };
  // The committed state as the ledger says now (outside the lock).
  View refresh();
  static std::string stateKey(const Ledger& ledger);
  void noteGeneration(const std::string& generation);
  std::unique_ptr<sdk::FileLock> lockStore(std::stop_token cancel);
  // Under the lock: the ledger after creating the store or finishing an interrupted commit.
  Ledger prepareLocked();
  Ledger initializeLocked();
  void checkManifest();
  void recoverLocked(Ledger& ledger, bool wholeJournal);
  void writeEventFiles(const JournalRecord& record, bool replacing);
  // Applies one step of a tag migration (idempotent) and makes it durable.
  void applyMigrationLocked(const std::vector<TagAddition>& plan);
  void finishMigrationStepLocked(Ledger& ledger);
  std::vector<sdk::IndexedEvent> indexEntries(const JournalRecord& record) const;
  std::vector<SequencedEvent> loadEvents(const std::vector<Position>& positions, const View& view,
                                         bool& vanished);

  sdk::StorageContext context_;
  std::filesystem::path dir_, eventsDir_, ledgerPath_, journalPath_, lockPath_, manifestPath_,
      migrationPath_;
  std::string extension_;
  std::uint64_t journalCapacity_;

  std::mutex writeMutex_;  // one writer per object; the file lock orders objects and processes
  std::unique_ptr<Journal> journal_;
  std::string journalGeneration_;

  std::mutex generationMutex_;
  std::string knownGeneration_;
  std::unique_ptr<EventCache> cache_;
  SyncWorker syncWorker_;  // syncs the journal while the commit writes the files
};

}  // namespace opossum::plugins::file_storage
