#include "store_repair.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>

#include "journal.hpp"
#include "layout.hpp"
#include "ledger.hpp"
#include "manifest.hpp"
#include "opossum/errors.hpp"
#include "opossum/sdk/maintenance.hpp"
#include "store_locks.hpp"

namespace opossum::plugins::file_storage {

namespace fs = std::filesystem;

namespace {

std::string utcStamp() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

// Where one event survives, and its bytes.
struct Copy {
  std::string bytes;
  bool inFile = false;  // else only in the journal
};

class Repair {
 public:
  Repair(const sdk::StorageContext& context, const sdk::RepairOptions& options,
         const sdk::Progress& progress)
      : c_(context),
        files_(*context.fileSystem),
        dir_(context.storeDirectory),
        options_(options),
        progress_(progress),
        extension_(context.serializer->fileExtension()) {}

  sdk::RepairReport run() {
    auto storeLock = lockStoreFolder(files_, dir_, c_.crossProcessLockTimeout, {});
    auto eventsLock = lockEventsFolder(files_, dir_, c_.crossProcessLockTimeout, {});
    // First only look: a repair that must stop changes nothing.
    inspectManifest();
    inspectLedger();
    if (!ledger_ && files_.exists(dir_ / kDeletingMarker)) {
      report_.actions.push_back(
          "a deleteStore was interrupted: the store is empty, and opening it finishes the "
          "deletion; nothing to recover");
      return std::move(report_);
    }
    collectJournal();
    collectEventFiles();
    if (!decideHead()) {
      report_.head = ledger_ ? ledger_->position : 0;
      return std::move(report_);
    }
    report_.changed = true;
    // Then act.
    moveAsideDamaged();
    writeMissingEventFiles();
    if (c_.flushEventsImmediately) files_.syncFileSystem(dir_);
    rebuildIndex();
    resetJournal();
    writeManifestAndLedger();
    return std::move(report_);
  }

 private:
  void inspectManifest() {
    const fs::path path = dir_ / kManifestFile;
    auto text = files_.readFile(path);
    if (!text) {
      rewriteManifest_ = true;
      return;
    }
    Manifest have;
    try {
      have = parseManifest(*text, path);
    } catch (const CorruptionError&) {
      rewriteManifest_ = true;
      aside_.push_back(kManifestFile);
      return;
    }
    Manifest want = expectedManifest(c_);
    if (have != want) {
      throw ConfigError("store '" + dir_.string() + "' was written with serializer '" +
                        have.serializer + "' and index '" + have.index + "' (" + path.string() +
                        "), but the configured ones are '" + want.serializer + "' and '" +
                        want.index + "'; recover it with those");
    }
  }

  void inspectLedger() {
    const fs::path path = dir_ / kLedgerFile;
    try {
      ledger_ = readLedger(files_, path);
    } catch (const CorruptionError& e) {
      aside_.push_back(kLedgerFile);
      report_.actions.push_back(std::string("the ledger could not be read (") + e.what() +
                                "); the head is taken from the surviving events");
    }
  }

  void collectJournal() {
    auto journal = Journal::openForReading(c_.fileSystem, dir_ / kJournalFile);
    if (!journal) return;
    for (auto& record : journal->scan().records) {
      for (std::size_t i = 0; i < record.eventFiles.size(); ++i) {
        copies_[record.firstPosition + i] = Copy{std::move(record.eventFiles[i]), false};
      }
    }
  }

  void collectEventFiles() {
    const fs::path events = dir_ / kEventsFolder;
    for (const auto& name : files_.listDirectory(events)) {
      const std::string relative = std::string(kEventsFolder) + "/" + name;
      auto position = eventFilePosition(name, extension_);
      if (!position) {
        if (name.find('.') != std::string::npos && name.substr(name.find('.')) != extension_ &&
            eventFilePosition(name, name.substr(name.find('.')))) {
          throw ConfigError("store '" + dir_.string() + "' holds event files named '" + name +
                            "', not '" + extension_ +
                            "' files: it was written with another serializer; recover it with "
                            "that one");
        }
        aside_.push_back(relative);
        report_.actions.push_back(relative + ": not an event file name");
        continue;
      }
      auto bytes = files_.readFile(events / name);
      if (!bytes) continue;
      std::string problem;
      try {
        SequencedEvent event = c_.serializer->deserialize(*bytes);
        if (event.position != *position) {
          problem = "holds position " + std::to_string(event.position);
        }
      } catch (const Error& e) {
        problem = std::string("cannot be read: ") + e.what();
      }
      if (!problem.empty()) {
        aside_.push_back(relative);
        damagedFiles_.insert(*position);
        report_.actions.push_back(relative + ": " + problem);
        continue;
      }
      // A file is what the journal became (tag migrations rewrite files, not the journal). Its
      // bytes are read again when indexed rather than held for the whole store.
      copies_[*position] = Copy{{}, true};
    }
  }

  // False when the repair must stop without changing anything.
  bool decideHead() {
    Position head = 0;
    while (copies_.count(head + 1) > 0) ++head;
    std::vector<Position> after;
    for (auto it = copies_.upper_bound(head); it != copies_.end(); ++it) after.push_back(it->first);
    const Position ledgerHead = ledger_ ? ledger_->position : 0;
    if (!after.empty()) {
      std::vector<Position> missing;
      for (Position p = head + 1; p < after.back(); ++p) {
        if (copies_.count(p) == 0) missing.push_back(p);
      }
      if (!options_.truncateAtGap) {
        report_.lost.push_back(
            "no copy is left of position(s) " + sdk::listPositions(missing) + " (" +
            std::string(kEventsFolder) + "/" + eventFileName(missing.front(), extension_) +
            (missing.size() > 1 ? ", ..." : "") + "), but " + std::to_string(after.size()) +
            " event(s) after them survive (positions " + sdk::listPositions(after) +
            "); positions have no gaps, so they cannot keep their places. Nothing was changed: "
            "allow the events after the gap to be moved aside (opossum recover --truncate) to "
            "keep positions 1.." +
            std::to_string(head));
        report_.changed = false;
        return false;
      }
      for (Position p : after) {
        if (copies_[p].inFile)
          aside_.push_back(std::string(kEventsFolder) + "/" + eventFileName(p, extension_));
      }
      report_.lost.push_back("events " + sdk::listPositions(after) +
                             " follow a missing position and were moved aside");
    }
    for (Position p = head + 1; p <= ledgerHead; ++p) {
      if (copies_.count(p) == 0) lost_.push_back(p);
    }
    if (!lost_.empty()) {
      report_.lost.push_back("no copy is left of committed position(s) " +
                             sdk::listPositions(lost_) + " (" + std::string(kEventsFolder) + "/" +
                             eventFileName(lost_.front(), extension_) +
                             (lost_.size() > 1 ? ", ..." : "") + ")");
    }
    for (Position p : damagedFiles_) {
      if (p <= head && !copies_[p].inFile) {
        report_.actions.push_back("event " + std::to_string(p) +
                                  " is written again from the journal");
      }
    }
    report_.head = head;
    return true;
  }

  void moveAsideDamaged() {
    std::sort(aside_.begin(), aside_.end());
    aside_.erase(std::unique(aside_.begin(), aside_.end()), aside_.end());
    for (const auto& relative : aside_) moveAside(relative);
  }

  void moveAside(const fs::path& relative) {
    if (asideFolder_.empty()) {
      asideFolder_ = dir_ / kDamagedFolder / utcStamp();
      for (int n = 2; files_.exists(asideFolder_); ++n) {
        asideFolder_ = dir_ / kDamagedFolder / (utcStamp() + "-" + std::to_string(n));
      }
      report_.asideLocation = asideFolder_.string();
    }
    const fs::path target = asideFolder_ / relative;
    files_.createDirectories(target.parent_path());
    files_.rename(dir_ / relative, target);
    report_.actions.push_back("moved " + relative.generic_string() + " to " +
                              fs::relative(target, dir_).generic_string());
  }

  void writeMissingEventFiles() {
    const fs::path staging = dir_ / ".materializing";
    files_.createDirectories(staging);
    files_.createDirectories(dir_ / kEventsFolder);
    std::size_t written = 0;
    for (Position p = 1; p <= report_.head; ++p) {
      const Copy& copy = copies_[p];
      if (copy.inFile) continue;
      const std::string name = eventFileName(p, extension_);
      files_.openWritable(staging / name, sdk::OpenMode::truncate)->append(copy.bytes);
      if (c_.writeProtectEventFiles) files_.setReadOnly(staging / name, true);
      files_.rename(staging / name, dir_ / kEventsFolder / name);
      ++written;
    }
    if (written > 0) {
      report_.actions.push_back("wrote " + std::to_string(written) +
                                " event file(s) from the journal");
    }
  }

  void rebuildIndex() {
    const fs::path building = dir_ / (std::string(kIndexFolder) + ".recover");
    files_.removeAll(building);  // a rebuild an earlier run left
    files_.createDirectories(building);
    {
      auto index = c_.makeIndex(building);
      std::vector<sdk::IndexedEvent> batch;
      for (Position p = 1; p <= report_.head; ++p) {
        const Copy& copy = copies_[p];
        auto bytes = copy.inFile
                         ? files_.readFile(dir_ / kEventsFolder / eventFileName(p, extension_))
                         : std::optional<std::string>(copy.bytes);
        if (!bytes) {
          throw IoError("event file of position " + std::to_string(p) + " in " + dir_.string() +
                        " vanished during the repair");
        }
        SequencedEvent event = c_.serializer->deserialize(*bytes);
        batch.push_back({p, std::move(event.event.eventType), std::move(event.event.tags)});
        if (batch.size() == 1000 || p == report_.head) {
          index->add(batch);
          batch.clear();
          if (progress_) progress_(p, report_.head);
        }
      }
      index->materialize(report_.head);
    }
    if (c_.flushEventsImmediately) files_.syncFileSystem(dir_);
    // The old index is derived data, but it is kept aside with the rest: it is evidence.
    if (files_.exists(dir_ / kIndexFolder)) moveAside(kIndexFolder);
    files_.rename(building, dir_ / kIndexFolder);
    report_.actions.push_back("rebuilt the index from " + std::to_string(report_.head) +
                              " event(s)");
  }

  void resetJournal() {
    // Every event is in its file now; a journal replayed after a reboot must not bring back
    // what the repair moved aside.
    if (!files_.exists(dir_ / kJournalFile)) return;
    Journal journal(c_.fileSystem, dir_ / kJournalFile, 4096);
    journal.invalidate(0);
  }

  void writeManifestAndLedger() {
    if (rewriteManifest_) {
      files_.replaceFile(dir_ / kManifestFile, manifestText(c_), true);
      report_.actions.push_back(std::string("wrote ") + kManifestFile);
    }
    Ledger ledger;
    // A new generation: every open store drops what it cached of the old state.
    ledger.generation = newGeneration();
    ledger.position = report_.head;
    ledger.materialized = report_.head;
    ledger.tagRevision = ledger_ ? ledger_->tagRevision + 1 : 0;
    ledger.bootId = currentBootId();
    writeLedger(files_, dir_ / kLedgerFile, ledger, true);
    files_.remove(dir_ / kDeletingMarker);
    files_.syncDirectory(dir_);
    report_.actions.push_back(std::string("wrote ") + kLedgerFile + " (head " +
                              std::to_string(report_.head) + ")");
  }

  const sdk::StorageContext& c_;
  sdk::FileSystem& files_;
  fs::path dir_;
  sdk::RepairOptions options_;
  const sdk::Progress& progress_;
  std::string extension_;

  sdk::RepairReport report_;
  fs::path asideFolder_;
  std::optional<Ledger> ledger_;
  bool rewriteManifest_ = false;
  std::map<Position, Copy> copies_;
  std::set<Position> damagedFiles_;
  std::vector<Position> lost_;
  std::vector<std::string> aside_;  // relative paths
};

}  // namespace

sdk::RepairReport repairStore(const sdk::StorageContext& context, const sdk::RepairOptions& options,
                              const sdk::Progress& progress) {
  if (!context.serializer || !context.fileSystem || !context.makeIndex) {
    throw InvalidArgumentError("repairing a store needs a serializer, an index and a file system");
  }
  return Repair(context, options, progress).run();
}

}  // namespace opossum::plugins::file_storage
