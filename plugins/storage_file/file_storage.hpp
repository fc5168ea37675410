// The "file-per-event" storage engine (SPEC §4): one file per event, a tag index, a journal
// that commits each group of appends with one sync, and ledger.json naming the committed head.
//
// Append (under .store.lock): read the ledger, finish any commit a crashed writer left, check
// each request's condition through the index, write one journal record and the index's
// positions log, sync the journal (the commit point), then update the ledger. A background
// worker then writes the event files and the index's posting files from the journal (under
// .materialize.lock, so one process at a time). Readers take no lock: they read the ledger, look
// only at positions up to its head, and read the positions still in the journal from there.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "background_worker.hpp"
#include "event_cache.hpp"
#include "file_maintenance.hpp"
#include "journal.hpp"
#include "journal_window.hpp"
#include "ledger.hpp"
#include "opossum/errors.hpp"
#include "opossum/sdk/projection_state.hpp"
#include "opossum/sdk/storage.hpp"
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

  // sdk::Capability::storageMaintenance: FileMaintenance.
  void* capability(sdk::Capability id) override;
  std::filesystem::path eventPath(Position position) const;

 private:
  struct View {
    std::string generation;
    Position head = 0;
  };
  // How far files have been written from the journal (the ledger's materialized fields).
  struct Mark {
    std::string generation;
    Position position = 0;
    std::uint64_t offset = 0;
  };
  // The committed state as the ledger says now (outside the lock).
  View refresh();
  static std::string stateKey(const Ledger& ledger);
  void noteGeneration(const std::string& generation);
  std::unique_ptr<sdk::FileLock> lockStore(std::stop_token cancel);
  std::unique_ptr<sdk::FileLock> lockMaterializer(std::stop_token cancel);
  // Under the lock: the ledger after creating the store or finishing an interrupted commit.
  Ledger prepareLocked();
  Ledger initializeLocked();
  // ConfigError when the store was written with other formats; a missing manifest is judged by
  // prepareLocked() (created for a new store, CorruptionError beside events).
  void checkManifest();
  // Whether event data exists (a file in events/, or a record in the journal).
  bool holdsEvents();
  static std::string recoveryAdvice();
  CorruptionError missingLedger() const;
  void recoverLocked(Ledger& ledger, bool wholeJournal);
  // Makes room for a record of `size` bytes: grows the journal while files lag behind it, else
  // writes what is left and checkpoints (syncfs) so the journal can be reused from its start.
  void makeRoomLocked(Ledger& ledger, std::uint64_t size);
  // Writes event files and posting files from the journal; the caller holds .materialize.lock.
  // Everything up to the head when `all`, else a bounded chunk. Sets `done` when the head is
  // reached. The mark reached is also kept as pendingMark_ for the ledger.
  Mark materializeHeld(bool all, std::stop_token stop, bool& done);
  // Empties the folder event files are written in before they are renamed into events/.
  std::filesystem::path freshStaging();
  // Writes the event files of `record` through `staging`; the caller holds .materialize.lock.
  void writeEventFiles(const JournalRecord& record, const std::filesystem::path& staging);
  // Under the store lock: everything materialized, recorded in `ledger` (not yet written).
  void materializeAllLocked(Ledger& ledger);
  // Takes pendingMark_ into `ledger` when it is ahead (same generation).
  void foldPendingMark(Ledger& ledger);
  // Writes pendingMark_ into the ledger if the store lock is free within `wait`.
  void publishPendingMark(std::chrono::milliseconds wait);
  bool backgroundRound(std::stop_token stop);
  // Applies one step of a tag migration (idempotent) and makes it durable.
  void applyMigrationLocked(const std::vector<TagAddition>& plan);
  void finishMigrationStepLocked(Ledger& ledger);
  std::vector<sdk::IndexedEvent> indexEntries(const JournalRecord& record) const;
  // CorruptionError when an event the index returned for `query` does not match it.
  void checkMatches(const Query& query, const std::vector<SequencedEvent>& events) const;
  std::vector<SequencedEvent> loadEvents(const std::vector<Position>& positions, const View& view,
                                         bool& vanished);
  // Journal bytes read ahead for the next positions of a read: consecutive events lie one after
  // the other in the journal, so one pread serves many (read all, a rebuild's batches).
  struct JournalChunk {
    std::uint64_t offset = 0;
    std::string bytes;
  };
  // The event at `position` from the journal, when it is still there. With `ahead`, the read
  // fills `chunk` with what follows, and later calls take their bytes from it.
  std::optional<SequencedEvent> readFromJournal(Position position, const View& view, bool& vanished,
                                                JournalChunk& chunk, bool ahead);

  sdk::StorageContext context_;
  std::unique_ptr<FileMaintenance> maintenance_;
  std::shared_ptr<sdk::ProjectionStates> projectionStates_;  // files under {store}/projections
  std::filesystem::path dir_, eventsDir_, ledgerPath_, journalPath_, lockPath_,
      materializeLockPath_, manifestPath_, migrationPath_, deletingPath_;
  std::string extension_;
  std::uint64_t journalCapacity_;
  std::uint64_t journalMaxCapacity_;

  std::unique_ptr<LedgerFile> ledgerFile_;
  std::mutex writeMutex_;  // one writer per object; the file lock orders objects and processes
  bool manifestChecked_ = false;
  // The highest head this object saw committed (under writeMutex_).
  struct {
    std::string generation;
    Position head = 0;
  } committed_;
  std::unique_ptr<Journal> journal_;
  std::string journalGeneration_;

  std::mutex generationMutex_;
  std::string knownGeneration_;
  std::unique_ptr<EventCache> cache_;

  std::mutex readerMutex_;
  std::shared_ptr<Journal> readerJournal_;  // of knownGeneration_; null until needed
  JournalWindow window_;

  std::mutex markMutex_;
  Mark pendingMark_;

  BackgroundWorker materializer_;  // last: stopped before the members it uses go
};

}  // namespace opossum::plugins::file_storage
