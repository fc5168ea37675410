#include "file_storage.hpp"

#include "layout.hpp"
#include "manifest.hpp"
#include "opossum/errors.hpp"
#include "store_locks.hpp"

namespace opossum::plugins::file_storage {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kDefaultJournalCapacity = 4 << 20;
constexpr std::uint64_t kDefaultJournalMaxCapacity = 256 << 20;
// Events the background worker writes per hold of .materialize.lock, so that a checkpoint waiting
// for the lock waits for one chunk at most.
constexpr std::size_t kMaterializeChunk = 256;
constexpr std::uint64_t kDefaultCacheBytes = 32 << 20;
// Journal bytes one read of consecutive events takes at once.
constexpr std::size_t kReadAhead = 256 << 10;

void log(const sdk::StorageContext& c, sdk::LogLevel level, const std::string& message) {
  if (c.logger && c.logger->enabled(level)) c.logger->log(level, message);
}

}  // namespace

namespace {

// From SDK minor 4 the engine loads its serializer and index itself, through the host; an older
// kernel hands them over ready made.
sdk::StorageContext withOwnParts(sdk::StorageContext context) {
  if (!context.plugins) return context;
  if (!context.serializer) context.serializer = context.plugins->serializer();
  if (!context.index) context.index = context.plugins->index(context.storeDirectory / kIndexFolder);
  if (!context.makeIndex) {
    context.makeIndex = [plugins = context.plugins](const std::filesystem::path& folder) {
      return plugins->index(folder);
    };
  }
  return context;
}

}  // namespace

FileStorage::FileStorage(const sdk::StorageContext& context)
    : context_(withOwnParts(context)),
      materializer_([this](std::stop_token stop) { return backgroundRound(stop); },
                    [this] { publishPendingMark(std::chrono::milliseconds(0)); },
                    [this](const std::exception& e) {
                      log(context_, sdk::LogLevel::warn,
                          "writing event files of " + dir_.string() +
                              " from the journal failed (retrying): " + e.what());
                    }) {
  if (!context_.serializer || !context_.index || !context_.fileSystem) {
    throw InvalidArgumentError(
        "storage 'file-per-event' needs a serializer, an index and a file system");
  }
  sdk::OptionReader options(context_.options, "storage plugin 'file-per-event'");
  journalCapacity_ = options.getUnsigned("journalCapacityBytes", kDefaultJournalCapacity);
  journalMaxCapacity_ = options.getUnsigned("journalMaxBytes", kDefaultJournalMaxCapacity);
  cache_ =
      std::make_unique<EventCache>(options.getUnsigned("eventCacheBytes", kDefaultCacheBytes),
                                   [serializer = context_.serializer](const std::string& bytes) {
                                     return serializer->deserialize(bytes);
                                   });
  options.finish();
  if (journalCapacity_ < 4096) {
    throw ConfigError(
        "storage plugin 'file-per-event': journalCapacityBytes must be at least 4096");
  }
  if (journalMaxCapacity_ < journalCapacity_) {
    throw ConfigError(
        "storage plugin 'file-per-event': journalMaxBytes must be at least journalCapacityBytes");
  }
  dir_ = context_.storeDirectory;
  eventsDir_ = dir_ / "events";
  ledgerPath_ = dir_ / "ledger.json";
  ledgerFile_ = std::make_unique<LedgerFile>(context_.fileSystem, ledgerPath_);
  journalPath_ = dir_ / "journal.log";
  lockPath_ = dir_ / ".store.lock";
  materializeLockPath_ = dir_ / ".materialize.lock";
  manifestPath_ = dir_ / "manifest.json";
  migrationPath_ = dir_ / "tag-migration.json";
  deletingPath_ = dir_ / ".deleting";
  extension_ = context_.serializer->fileExtension();
  maintenance_ = std::make_unique<FileMaintenance>(context_);
  projectionStates_ = sdk::fileProjectionStates(dir_ / "projections", context_.fileSystem);
  // For the operator's tools only: the store may be too damaged to open.
  if (context_.purpose == sdk::StoragePurpose::maintenance) return;

  context_.fileSystem->createDirectories(dir_);
  checkManifest();  // before touching anything: never write into a store of another format
  auto lock = lockStore({});
  std::lock_guard guard(writeMutex_);
  Ledger ledger = prepareLocked();
  // Files a crashed or closed writer left in the journal only.
  if (ledger.materialized < ledger.position) materializer_.notify();
}

FileStorage::~FileStorage() {
  if (!materializer_.started()) return;
  materializer_.stop();
  // Closing writes what is left, so the files of every append exist once its store is closed.
  try {
    bool done = false;
    {
      auto lock = lockMaterializer({});
      materializeHeld(true, {}, done);
    }
    publishPendingMark(context_.crossProcessLockTimeout);
  } catch (const std::exception& e) {
    log(context_, sdk::LogLevel::warn,
        "closing " + dir_.string() + ": event files not written yet (" + e.what() +
            "); the next user of the store writes them");
  }
}

void* FileStorage::capability(sdk::Capability id) {
  // Through the interface types: the caller casts the void* back to them.
  if (id == sdk::Capability::storageMaintenance) {
    return static_cast<sdk::StorageMaintenance*>(maintenance_.get());
  }
  if (id == sdk::Capability::projectionStates) {
    return static_cast<sdk::ProjectionStates*>(projectionStates_.get());
  }
  return nullptr;
}

fs::path FileStorage::eventPath(Position position) const {
  return eventsDir_ / eventFileName(position, extension_);
}

std::unique_ptr<sdk::FileLock> FileStorage::lockStore(std::stop_token cancel) {
  return lockStoreFolder(*context_.fileSystem, dir_, context_.crossProcessLockTimeout, cancel);
}

std::unique_ptr<sdk::FileLock> FileStorage::lockMaterializer(std::stop_token cancel) {
  return lockEventsFolder(*context_.fileSystem, dir_, context_.crossProcessLockTimeout, cancel);
}

void FileStorage::checkManifest() {
  auto text = context_.fileSystem->readFile(manifestPath_);
  if (!text) return;  // prepareLocked() decides: a new store, or a damaged one
  Manifest have = parseManifest(*text, manifestPath_);
  Manifest want = expectedManifest(context_);
  auto expect = [&](const char* part, const std::string& had, const std::string& wanted) {
    if (had != wanted) {
      throw ConfigError("store '" + dir_.string() + "' was written with " + part + " '" + had +
                        "' (" + manifestPath_.string() + "), but the configured " + part + " is '" +
                        wanted + "'");
    }
  };
  expect("storage", have.storage, want.storage);
  expect("serializer", have.serializer, want.serializer);
  expect("index", have.index, want.index);
}

bool FileStorage::holdsEvents() {
  auto& files = *context_.fileSystem;
  if (!files.listDirectory(eventsDir_).empty()) return true;
  auto journal = Journal::openForReading(context_.fileSystem, journalPath_);
  return journal && journal->firstPosition();
}

std::string FileStorage::recoveryAdvice() {
  return "nothing was changed; 'opossum recover' rebuilds what can be rebuilt from the journal "
         "and the event files";
}

CorruptionError FileStorage::missingLedger() const {
  return CorruptionError("store " + dir_.string() + " holds events (in events/ or journal.log) " +
                         "but its commit record '" + ledgerPath_.string() + "' is missing; " +
                         recoveryAdvice());
}

std::string FileStorage::stateKey(const Ledger& ledger) {
  return ledger.generation + "/" + std::to_string(ledger.tagRevision);
}

void FileStorage::noteGeneration(const std::string& generation) {
  std::lock_guard guard(generationMutex_);
  if (generation != knownGeneration_) {
    // The store was deleted and created again, or its tags migrated (here or elsewhere): forget
    // what the index holds in memory.
    context_.index->reset();
    cache_->clear();
    {
      std::lock_guard guard(readerMutex_);
      readerJournal_.reset();
      window_.reset();
    }
    knownGeneration_ = generation;
  }
}

FileStorage::View FileStorage::refresh() {
  auto ledger = ledgerFile_->read();
  if (!ledger && !context_.fileSystem->exists(deletingPath_) && holdsEvents()) {
    ledger = ledgerFile_->read();  // created meanwhile
    if (!ledger) throw missingLedger();
  }
  if (!ledger) {
    noteGeneration("");
    return {};
  }
  noteGeneration(stateKey(*ledger));
  return {ledger->generation, ledger->position};
}

Ledger FileStorage::initializeLocked() {
  auto& files = *context_.fileSystem;
  // Never over data: without a ledger, events are either what an interrupted deleteStore left
  // (it marks its start) or a damaged store.
  const bool deleting = files.exists(deletingPath_);
  if (!deleting && holdsEvents()) throw missingLedger();
  // Whatever an interrupted deleteStore left of the storage's files is not part of the new
  // store (projections/ belongs to the projection manager, which may already be at work).
  journal_.reset();
  for (const char* name : {"events", "indices", "journal.log", "tag-migration.json"}) {
    files.removeAll(dir_ / name);
  }
  files.createDirectories(eventsDir_);
  files.createDirectories(dir_ / "indices");
  files.createDirectories(dir_ / "projections");
  if (!files.exists(manifestPath_)) files.replaceFile(manifestPath_, manifestText(context_), true);
  Ledger ledger;
  ledger.generation = newGeneration();
  ledger.bootId = currentBootId();
  journal_ = std::make_unique<Journal>(context_.fileSystem, journalPath_, journalCapacity_);
  journalGeneration_ = ledger.generation;
  ledgerFile_->write(ledger, true);
  files.syncDirectory(dir_);
  // The store folder (and the root folder, perhaps created with it) must survive a power loss
  // too, or the first acknowledged appends go with them.
  const fs::path root = fs::absolute(dir_).parent_path();
  files.syncDirectory(root);
  if (root.has_parent_path() && root.parent_path() != root) files.syncDirectory(root.parent_path());
  // Only now: a marker left behind would let a later missing ledger pass for a deletion.
  if (deleting) {
    files.remove(deletingPath_);
    files.syncDirectory(dir_);
  }
  log(context_, sdk::LogLevel::debug, "created store " + dir_.string());
  return ledger;
}

Ledger FileStorage::prepareLocked() {
  auto ledger = ledgerFile_->read();
  if (!ledger) ledger = initializeLocked();
  if (!manifestChecked_) {
    if (!context_.fileSystem->exists(manifestPath_)) {
      // Without it nobody can tell which serializer wrote the events.
      if (ledger->position > 0 || holdsEvents()) {
        throw CorruptionError("store manifest '" + manifestPath_.string() +
                              "' is missing, so the format of the events is unknown; " +
                              recoveryAdvice());
      }
      context_.fileSystem->replaceFile(manifestPath_, manifestText(context_), true);
    }
    manifestChecked_ = true;
  }
  // The head never goes back within a generation: a ledger restored from an older copy would let
  // the next append overwrite acknowledged events.
  if (ledger->generation == committed_.generation && ledger->position < committed_.head) {
    throw CorruptionError(
        "ledger '" + ledgerPath_.string() + "' says the head is " +
        std::to_string(ledger->position) + ", but position " + std::to_string(committed_.head) +
        " was committed: the ledger was replaced by an older copy; " + recoveryAdvice());
  }
  noteGeneration(stateKey(*ledger));
  if (!journal_ || journalGeneration_ != ledger->generation) {
    journal_ = std::make_unique<Journal>(context_.fileSystem, journalPath_, journalCapacity_);
    journalGeneration_ = ledger->generation;
  }
  if (ledger->bootId != currentBootId()) {
    auto materializing = lockMaterializer({});
    recoverLocked(*ledger, true);
  } else if (journal_->readAt(ledger->journalOffset, ledger->position + 1)) {
    recoverLocked(*ledger, false);
  }
  if (auto plan = readMigrationPlan(*context_.fileSystem, migrationPath_)) {
    // An addTags step was interrupted: finish it, on complete files (after a reboot the journal's
    // replay may have lowered what was written).
    materializeAllLocked(*ledger);
    applyMigrationLocked(*plan);
    finishMigrationStepLocked(*ledger);
    log(context_, sdk::LogLevel::info,
        "completed an interrupted tag migration of " + std::to_string(plan->size()) +
            " event(s) in " + dir_.string());
  }
  if (committed_.generation != ledger->generation) {
    // First look at this generation: events are written only up to the head, so one after it
    // means the ledger is behind (restored from an older copy), and appending would overwrite it.
    if (auto stray = context_.fileSystem->fileSize(eventPath(ledger->position + 1))) {
      throw CorruptionError(
          "event file '" + eventPath(ledger->position + 1).string() + "' exists after the head " +
          std::to_string(ledger->position) + " of '" + ledgerPath_.string() +
          "': the ledger is behind its events (replaced by an older copy?); " + recoveryAdvice());
    }
  }
  committed_ = {ledger->generation, ledger->position};
  return *ledger;
}

std::vector<sdk::IndexedEvent> FileStorage::indexEntries(const JournalRecord& record) const {
  std::vector<sdk::IndexedEvent> entries;
  entries.reserve(record.eventFiles.size());
  for (std::size_t i = 0; i < record.eventFiles.size(); ++i) {
    SequencedEvent event = context_.serializer->deserialize(record.eventFiles[i]);
    entries.push_back(
        {record.firstPosition + i, std::move(event.event.eventType), std::move(event.event.tags)});
  }
  return entries;
}

void FileStorage::recoverLocked(Ledger& ledger, bool wholeJournal) {
  auto& files = *context_.fileSystem;
  Position head = ledger.position;
  std::vector<JournalRecord> records;
  std::uint64_t journalEnd = ledger.journalOffset;
  Position base = head;
  if (wholeJournal) {
    // Another boot: files written since the last checkpoint may be lost; the journal since then
    // is the truth.
    auto chain = journal_->scan();
    if (!chain.records.empty()) {
      Position first = chain.records.front().firstPosition;
      if (first <= head + 1) {
        base = first - 1;
        records = std::move(chain.records);
        journalEnd = chain.endOffset;
      } else {
        log(context_, sdk::LogLevel::warn,
            "journal of " + dir_.string() + " starts at position " + std::to_string(first) +
                " after the ledger's head " + std::to_string(head) + "; ignoring it");
      }
    }
  } else {
    std::uint64_t offset = ledger.journalOffset;
    Position expected = head + 1;
    while (auto record = journal_->readAt(offset, expected, &offset)) {
      expected = record->lastPosition() + 1;
      records.push_back(std::move(*record));
    }
    journalEnd = offset;
  }
  // The event files of the records are written again by the materializer (after another boot
  // they may be lost); until then readers find the events in the journal.
  context_.index->truncateAfter(base);
  Position done = base;
  for (const auto& record : records) {
    context_.index->add(indexEntries(record));
    done = record.lastPosition();
  }

  // Events the ledger counts but the journal no longer holds are indexed again from their files
  // (after a power loss that the non-durable mode did not guard against). After a reboot so are
  // events after the head whose files outlived the ledger's unsynced update: files are written
  // for committed positions only.
  while (done < head || wholeJournal) {
    auto bytes = files.readFile(eventPath(done + 1));
    if (!bytes) break;
    SequencedEvent event;
    try {
      event = context_.serializer->deserialize(*bytes);
    } catch (const CorruptionError&) {
      break;
    }
    if (event.position != done + 1) break;
    context_.index->add(std::vector<sdk::IndexedEvent>{
        {done + 1, std::move(event.event.eventType), std::move(event.event.tags)}});
    ++done;
  }
  if (done < head) {
    log(context_, sdk::LogLevel::error,
        "store " + dir_.string() + " lost events " + std::to_string(done + 1) + ".." +
            std::to_string(head) + " (they were not made durable)");
    for (Position p = done + 1; p <= head; ++p) files.remove(eventPath(p));
    context_.index->truncateAfter(done);
  }
  if (wholeJournal) {
    // What the power loss tore of files after the head was never durable; in the same boot a
    // file there is the sign of a ledger restored from an older copy (see prepareLocked).
    for (Position p = std::max(done, head) + 1; files.remove(eventPath(p)); ++p) {
    }
  }
  if (done != head || !records.empty()) {
    log(context_, sdk::LogLevel::info,
        "recovered store " + dir_.string() + ": head " + std::to_string(head) + " -> " +
            std::to_string(done) + ", " + std::to_string(records.size()) +
            " journal record(s) completed");
  }
  if (wholeJournal && !records.empty() && done > records.back().lastPosition()) {
    // The files reach further than the journal: its records are an earlier lap's, found behind
    // a torn first record of this one (or a non-durable power loss took the later ones). They
    // cannot lead the materializer to the head, so they are written out now and the journal
    // starts over, as at a checkpoint.
    const fs::path staging = freshStaging();
    for (const auto& record : records) writeEventFiles(record, staging);
    if (context_.flushEventsImmediately) files.syncFileSystem(dir_);
    records.clear();
    journalEnd = 0;
  }
  ledger.position = done;
  ledger.journalOffset = journalEnd;
  if (wholeJournal) {
    // The journal restarts at offset 0 only after every file before it was written and synced
    // (a checkpoint, a tag migration), so files are complete up to `base` and the record of
    // base + 1 is at offset 0, whatever mark a lost ledger update had published.
    ledger.materialized = records.empty() ? done : base;
    // Without records every file is written, and the next record goes where the ledger says.
    ledger.materializedOffset = records.empty() ? journalEnd : 0;
  }
  ledger.materialized = std::min(ledger.materialized, done);
  ledger.bootId = currentBootId();
  ledgerFile_->write(ledger, context_.flushEventsImmediately);
}

std::vector<sdk::AppendResult> FileStorage::append(std::span<const sdk::AppendRequest> requests,
                                                   std::stop_token cancel) {
  std::lock_guard guard(writeMutex_);
  auto lock = lockStore(cancel);
  Ledger ledger = prepareLocked();
  foldPendingMark(ledger);
  const Position head = ledger.position;

  std::vector<sdk::AppendResult> results(requests.size());
  JournalRecord record{head + 1, {}, {}};
  std::vector<sdk::IndexedEvent> entries;
  std::vector<SequencedEvent> accepted;  // in this group, not yet in the index
  const std::uint64_t epoch = cache_->epoch();
  for (std::size_t r = 0; r < requests.size(); ++r) {
    const auto& request = requests[r];
    if (request.condition) {
      const auto& condition = *request.condition;
      Position after = condition.afterSequencePosition.value_or(0);
      std::optional<Position> conflict;
      // A decision made on the latest state (after == head) needs no lookup.
      if (after < head) {
        ReadOptions probe{false, after, 1};
        auto found = context_.index->positions(condition.failIfEventsMatch, probe, head);
        if (!found.empty()) {
          // Rare, so the event is read: a damaged index must not refuse appends for ever.
          bool vanished = false;
          auto events = loadEvents(found, {ledger.generation, head}, vanished);
          checkMatches(condition.failIfEventsMatch, events);
          conflict = found.front();
        }
      }
      for (std::size_t i = 0; !conflict && i < accepted.size(); ++i) {
        Position p = head + 1 + i;
        if (p > after && condition.failIfEventsMatch.matches(accepted[i].event)) conflict = p;
      }
      if (conflict) {
        results[r].conflict = "an event at position " + std::to_string(*conflict) +
                              " matches failIfEventsMatch after position " + std::to_string(after);
        continue;
      }
    }
    for (const auto& event : *request.events) {
      Position position = head + 1 + record.eventFiles.size();
      accepted.push_back(SequencedEvent{event.event, position, event.metadata});
      record.eventFiles.push_back(context_.serializer->serialize(accepted.back()));
      entries.push_back({position, event.event.eventType, event.event.tags});
    }
    results[r].committed = true;
    results[r].lastPosition = head + record.eventFiles.size();
  }
  if (record.eventFiles.empty()) return results;
  std::uint64_t size = Journal::encodedSize(record);
  if (!journal_->fits(ledger.journalOffset, size)) makeRoomLocked(ledger, size);
  std::uint64_t next = 0;
  try {
    next = journal_->write(ledger.journalOffset, record, false);
    context_.index->add(entries);
    if (context_.flushEventsImmediately) journal_->sync();  // the commit point
  } catch (...) {
    // Not acknowledged, so it must not appear later either: undo what reached the disk.
    journal_->invalidate(ledger.journalOffset);
    context_.index->truncateAfter(head);
    throw;
  }
  ledger.position = record.lastPosition();
  ledger.journalOffset = next;
  ledgerFile_->write(ledger, false);
  committed_.head = ledger.position;
  // Cached as written: a reader gets it decoded as from the file (serializers may normalise the
  // payload), and only then.
  for (std::size_t i = 0; i < record.eventFiles.size(); ++i) {
    cache_->putEncoded(record.firstPosition + i, record.eventFiles[i], epoch);
  }
  materializer_.notify();
  return results;
}

void FileStorage::makeRoomLocked(Ledger& ledger, std::uint64_t size) {
  journal_->refreshCapacity();
  if (journal_->fits(ledger.journalOffset, size)) return;
  if (ledger.journalOffset == 0) return;  // a record larger than the journal: it grows
  if (ledger.materialized < ledger.position && journal_->capacity() < journalMaxCapacity_) {
    // The files lag behind (a burst of appends): keep the journal instead of waiting for them.
    journal_->grow(std::min(journalMaxCapacity_,
                            std::max(2 * journal_->capacity(), ledger.journalOffset + size)));
    if (journal_->fits(ledger.journalOffset, size)) return;
  }
  // Checkpoint: once every file the journal covers is written and durable, its space can be
  // reused.
  materializeAllLocked(ledger);
  if (context_.flushEventsImmediately) context_.fileSystem->syncFileSystem(dir_);
  ledger.journalOffset = 0;
  ledger.materializedOffset = 0;
  ledgerFile_->write(ledger, false);
}

void FileStorage::materializeAllLocked(Ledger& ledger) {
  foldPendingMark(ledger);
  auto lock = lockMaterializer({});
  if (ledger.materialized >= ledger.position) {
    // The event files are there; the index's own mark may still be behind (a lost update).
    context_.index->materialize(ledger.position);
    return;
  }
  bool done = false;
  Mark mark = materializeHeld(true, {}, done);
  if (mark.generation == ledger.generation && mark.position > ledger.materialized) {
    ledger.materialized = mark.position;
    ledger.materializedOffset = mark.offset;
  }
  if (ledger.materialized < ledger.position) {
    throw CorruptionError("store " + dir_.string() + ": the event files after position " +
                          std::to_string(ledger.materialized) +
                          " could not be written from the journal");
  }
}

void FileStorage::foldPendingMark(Ledger& ledger) {
  std::lock_guard guard(markMutex_);
  if (pendingMark_.generation == ledger.generation && pendingMark_.position > ledger.materialized &&
      pendingMark_.position <= ledger.position) {
    ledger.materialized = pendingMark_.position;
    ledger.materializedOffset = pendingMark_.offset;
  }
}

FileStorage::Mark FileStorage::materializeHeld(bool all, std::stop_token stop, bool& done) {
  done = true;
  auto ledger = ledgerFile_->read();
  if (!ledger) return {};
  foldPendingMark(*ledger);
  Mark mark{ledger->generation, ledger->materialized, ledger->materializedOffset};
  if (mark.position >= ledger->position) return mark;
  auto journal = Journal::openForReading(context_.fileSystem, journalPath_);
  const fs::path staging = freshStaging();
  Position expected = mark.position + 1;
  std::uint64_t offset = mark.offset;
  std::size_t written = 0;
  while (expected <= ledger->position && (all || written < kMaterializeChunk)) {
    if (!all && stop.stop_requested()) break;
    auto record = journal ? journal->readAt(offset, expected, &offset) : std::nullopt;
    if (!record) {
      throw CorruptionError("journal '" + journalPath_.string() + "' has no record of position " +
                            std::to_string(expected) + " at offset " + std::to_string(offset) +
                            ", although its event file was never written");
    }
    writeEventFiles(*record, staging);
    written += record->eventFiles.size();
    expected = record->lastPosition() + 1;
  }
  context_.index->materialize(expected - 1);
  mark.position = expected - 1;
  mark.offset = offset;
  {
    std::lock_guard guard(markMutex_);
    if (pendingMark_.generation != mark.generation || pendingMark_.position < mark.position) {
      pendingMark_ = mark;
    }
  }
  done = mark.position >= ledger->position;
  return mark;
}

fs::path FileStorage::freshStaging() {
  // Each file is written in a folder of its own and renamed into events/, so that whoever lists
  // events/ sees whole files only. What a crashed writer left there is garbage.
  auto& files = *context_.fileSystem;
  const fs::path staging = dir_ / ".materializing";
  for (const auto& name : files.listDirectory(staging)) files.remove(staging / name);
  files.createDirectories(staging);
  return staging;
}

void FileStorage::writeEventFiles(const JournalRecord& record, const fs::path& staging) {
  auto& files = *context_.fileSystem;
  for (std::size_t i = 0; i < record.eventFiles.size(); ++i) {
    fs::path path = eventPath(record.firstPosition + i);
    fs::path staged = staging / path.filename();
    files.openWritable(staged, sdk::OpenMode::truncate)->append(record.eventFiles[i]);
    if (context_.writeProtectEventFiles) files.setReadOnly(staged, true);
    files.rename(staged, path);
  }
}

void FileStorage::publishPendingMark(std::chrono::milliseconds wait) {
  std::unique_ptr<sdk::FileLock> lock;
  try {
    lock = lockStoreFolder(*context_.fileSystem, dir_, wait, {});
  } catch (const LockTimeoutError&) {
    return;  // a committer is at work; it takes the mark into its ledger update
  }
  auto ledger = ledgerFile_->read();
  if (!ledger) return;
  Position before = ledger->materialized;
  foldPendingMark(*ledger);
  if (ledger->materialized != before) {
    ledgerFile_->write(*ledger, false);
  }
}

bool FileStorage::backgroundRound(std::stop_token stop) {
  bool done = false;
  {
    auto lock = lockMaterializer(stop);
    materializeHeld(false, stop, done);
  }
  return !done;
}

std::vector<SequencedEvent> FileStorage::loadEvents(const std::vector<Position>& positions,
                                                    const View& view, bool& vanished) {
  std::vector<SequencedEvent> events;
  events.reserve(positions.size());
  const std::uint64_t epoch = cache_->epoch();
  JournalChunk chunk;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    const Position p = positions[i];
    if (auto cached = cache_->get(p)) {
      events.push_back(std::move(*cached));
      continue;
    }
    const bool ahead = i + 1 < positions.size() && positions[i + 1] == p + 1;
    if (auto journaled = readFromJournal(p, view, vanished, chunk, ahead)) {
      events.push_back(std::move(*journaled));
      cache_->put(events.back(), epoch);
      continue;
    }
    if (vanished) return {};
    fs::path path = eventPath(p);
    auto bytes = context_.fileSystem->readFile(path);
    if (!bytes) {
      // Deleted under us (deleteStore elsewhere) or lost: the ledger tells which.
      auto now = ledgerFile_->read();
      if (now && now->generation == view.generation && now->position >= p) {
        throw CorruptionError("event file '" + path.string() + "' is missing (position " +
                              std::to_string(p) + " is committed)");
      }
      vanished = true;
      return {};
    }
    try {
      events.push_back(context_.serializer->deserialize(*bytes));
    } catch (const CorruptionError& e) {
      throw CorruptionError("event file '" + path.string() + "': " + e.what());
    }
    if (events.back().position != p) {
      throw CorruptionError("event file '" + path.string() + "' holds position " +
                            std::to_string(events.back().position) + ", expected " +
                            std::to_string(p));
    }
    cache_->put(events.back(), epoch);
  }
  return events;
}

std::optional<SequencedEvent> FileStorage::readFromJournal(Position position, const View& view,
                                                           bool& vanished, JournalChunk& chunk,
                                                           bool ahead) {
  std::shared_ptr<Journal> journal;
  {
    std::lock_guard guard(readerMutex_);
    if (!readerJournal_) {
      readerJournal_ = Journal::openForReading(context_.fileSystem, journalPath_);
      // Opened after the ledger was read: make sure it is this generation's journal.
      auto now = ledgerFile_->read();
      if (!now || now->generation != view.generation) {
        readerJournal_.reset();
        vanished = true;
        return std::nullopt;
      }
      window_.reset();
    }
    journal = readerJournal_;
  }
  if (!journal) return std::nullopt;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto location = window_.locate(*journal, position, view.head);
    if (!location) return std::nullopt;
    try {
      std::string bytes;
      if (location->offset >= chunk.offset &&
          location->offset + location->length <= chunk.offset + chunk.bytes.size()) {
        bytes = chunk.bytes.substr(location->offset - chunk.offset, location->length);
      } else if (ahead) {
        chunk.offset = location->offset;
        chunk.bytes = journal->readBytes(location->offset,
                                         std::max<std::size_t>(location->length, kReadAhead));
        bytes = chunk.bytes.substr(0, location->length);
      } else {
        bytes = journal->readBytes(location->offset, location->length);
      }
      SequencedEvent event = context_.serializer->deserialize(bytes);
      if (event.position == position) return event;
    } catch (const Error&) {
      // Overwritten since the window saw it: the journal was reused.
    }
    window_.reset();
    chunk = {};
  }
  return std::nullopt;
}

std::vector<SequencedEvent> FileStorage::read(const Query& query, const ReadOptions& options) {
  if (options.maxCount && *options.maxCount == 0) return {};
  for (;;) {
    View view = refresh();
    if (view.head == 0) return {};
    std::vector<Position> positions;
    try {
      positions = context_.index->positions(query, options, view.head);
    } catch (const CorruptionError&) {
      // An index shorter than the head is damaged, unless the store was deleted (and perhaps
      // created again) since the ledger was read.
      if (refresh().generation != view.generation) continue;
      throw;
    }
    bool vanished = false;
    auto events = loadEvents(positions, view, vanished);
    if (vanished) continue;
    checkMatches(query, events);
    return events;
  }
}

void FileStorage::checkMatches(const Query& query,
                               const std::vector<SequencedEvent>& events) const {
  for (const auto& event : events) {
    if (!query.matches(event.event)) {
      throw CorruptionError("the index of " + dir_.string() + " lists position " +
                            std::to_string(event.position) + " for a query that its event (type '" +
                            event.event.eventType +
                            "') does not match: the index is damaged; rebuild it with 'opossum "
                            "reindex'");
    }
  }
}

std::optional<SequencedEvent> FileStorage::readLast(const Query& query) {
  auto events = read(query, ReadOptions{true, std::nullopt, 1});
  if (events.empty()) return std::nullopt;
  return std::move(events.front());
}

Position FileStorage::head() { return refresh().head; }

void FileStorage::deleteStore(std::stop_token cancel) {
  std::lock_guard guard(writeMutex_);
  auto lock = lockStore(cancel);
  if (cancel.stop_requested()) throw CancelledError("deleteStore cancelled before it started");
  // No one may be writing event files from the journal meanwhile.
  auto materializing = lockMaterializer(cancel);
  auto& files = *context_.fileSystem;
  // The marker says that events without a ledger are what is left of a deletion, not a damaged
  // store (which is never initialised over).
  files.replaceFile(deletingPath_, "", true);
  // The ledger goes first: from then on everyone sees an empty store, even if we stop halfway.
  files.remove(ledgerPath_);
  ledgerFile_->close();
  journal_.reset();
  const std::string marker = deletingPath_.filename().string();
  for (const auto& name : files.listDirectory(dir_)) {
    if (name != ".store.lock" && name != ".materialize.lock" && name != marker) {
      files.removeAll(dir_ / name);
    }
  }
  noteGeneration("");
  files.syncDirectory(dir_);
  files.remove(deletingPath_);
  log(context_, sdk::LogLevel::debug, "deleted store " + dir_.string());
}

void FileStorage::applyMigrationLocked(const std::vector<TagAddition>& plan) {
  auto& files = *context_.fileSystem;
  std::vector<sdk::IndexedEvent> additions;
  for (const auto& addition : plan) {
    fs::path path = eventPath(addition.position);
    auto bytes = files.readFile(path);
    if (!bytes) throw CorruptionError("event file '" + path.string() + "' is missing");
    SequencedEvent event = context_.serializer->deserialize(*bytes);
    auto added = newTags(event.event, addition.tags);
    if (!added.empty()) {
      event.event.tags.insert(event.event.tags.end(), added.begin(), added.end());
      // Atomic replacement: a crash leaves the old or the new event, never half of one.
      files.replaceFile(path, context_.serializer->serialize(event), false);
      if (context_.writeProtectEventFiles) files.setReadOnly(path, true);
    }
    additions.push_back({addition.position, {}, addition.tags});
  }
  context_.index->addTags(additions);
  if (context_.flushEventsImmediately) files.syncFileSystem(dir_);
}

void FileStorage::finishMigrationStepLocked(Ledger& ledger) {
  // Everything is synced now; a later replay of the journal would put the old tags back, so it
  // starts afresh.
  journal_->invalidate(0);
  ledger.journalOffset = 0;
  ledger.materialized = ledger.position;  // a migration starts with every file written
  ledger.materializedOffset = 0;
  // Other users' cached indexes lack the new tags: the revision tells them to reload.
  ++ledger.tagRevision;
  ledgerFile_->write(ledger, context_.flushEventsImmediately);
  noteGeneration(stateKey(ledger));
  context_.fileSystem->remove(migrationPath_);
}

TagMigrationResult FileStorage::addTags(
    const std::string& eventType,
    const std::function<std::vector<Tag>(const SequencedEvent&)>& tagFactory,
    std::stop_token cancel) {
  std::lock_guard guard(writeMutex_);
  auto lock = lockStore(cancel);
  Ledger ledger = prepareLocked();
  // The migration rewrites event files and posting files: first they must all exist.
  const Position materialized = ledger.materialized;
  materializeAllLocked(ledger);
  if (ledger.materialized != materialized) {
    ledgerFile_->write(ledger, false);
  }
  TagMigrationResult result;
  // First the whole plan, without writing: a factory that throws or returns a bad tag leaves
  // the store untouched.
  std::vector<TagAddition> plan;
  auto positions =
      context_.index->positions(Query::fromEventTypes({eventType}), {}, ledger.position);
  constexpr std::size_t kChunk = 1000;
  for (std::size_t i = 0; i < positions.size(); i += kChunk) {
    std::vector<Position> chunk(positions.begin() + i,
                                positions.begin() + std::min(positions.size(), i + kChunk));
    bool vanished = false;
    for (auto& event : loadEvents(chunk, {ledger.generation, ledger.position}, vanished)) {
      ++result.eventsProcessed;
      auto added = newTags(event.event, tagFactory(event));
      if (added.empty()) continue;
      result.tagsAdded += added.size();
      plan.push_back({event.position, std::move(added)});
    }
  }
  if (plan.empty()) return result;
  if (cancel.stop_requested()) throw CancelledError("addTags cancelled before it changed anything");
  for (std::size_t i = 0; i < plan.size(); i += kChunk) {
    std::vector<TagAddition> step(plan.begin() + i,
                                  plan.begin() + std::min(plan.size(), i + kChunk));
    writeMigrationPlan(*context_.fileSystem, migrationPath_, step, context_.flushEventsImmediately);
    applyMigrationLocked(step);
    finishMigrationStepLocked(ledger);
  }
  return result;
}

}  // namespace opossum::plugins::file_storage
