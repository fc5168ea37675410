// Drives the file storage over a PowerLossFileSystem, takes crash images at its sync points,
// and checks each image as a store reopened after a reboot: every acknowledged batch present
// with its content, no partial batch, no gap, and the index answering queries and append
// conditions exactly as a reference computed from the events.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "file_storage.hpp"
#include "group_commit.hpp"
#include "opossum/types.hpp"
#include "power_loss_file_system.hpp"

namespace opossum::test {

struct StorageSettings {
  std::uint64_t journalCapacityBytes = 4096;
  std::uint64_t journalMaxBytes = 4096;
};

// FileStorage with the JSON serializer and the tag index (the default plugin set, built from the
// implementation libraries so that the file system can be injected), and the kernel's group
// commit in front of it.
class Stack {
 public:
  Stack(const std::filesystem::path& storeDir, std::shared_ptr<sdk::FileSystem> files,
        StorageSettings settings = {}, std::shared_ptr<sdk::Logger> logger = nullptr);
  plugins::file_storage::FileStorage& storage() { return *storage_; }
  // Through group commit, as the kernel's Store::append.
  Position append(const std::vector<NewEvent>& events,
                  const std::optional<AppendCondition>& condition = std::nullopt);

 private:
  std::shared_ptr<plugins::file_storage::FileStorage> storage_;
  std::unique_ptr<detail::GroupCommit> commits_;
};

// Keeps what the storage logs at warn and error level.
class RecordingLogger : public sdk::Logger {
 public:
  void log(sdk::LogLevel level, std::string_view message) override;
  bool enabled(sdk::LogLevel level) const override { return level >= sdk::LogLevel::warn; }
  // Messages that tell of lost events or of files that cannot be written (not every warning:
  // some describe a recovery that went as it should).
  std::vector<std::string> troubles() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
};

// Appends of a workload in the order they were made, with what became of them.
class History {
 public:
  // Registers a call about to append `events`; returns its id.
  std::size_t begin(std::vector<NewEvent> events);
  void acknowledge(std::size_t id, Position last);
  void fail(std::size_t id);
  std::set<std::size_t> acknowledged() const;
  // Tags a migration adds (position -> tags), and whether the addTags call returned.
  void planMigration(std::map<Position, std::vector<Tag>> added);
  void acknowledgeMigration();
  bool migrationAcknowledged() const;

  struct Batch {
    std::vector<NewEvent> events;
    Position last = 0;  // 0 until acknowledged
    bool failed = false;
  };
  std::vector<Batch> batches() const;
  std::map<Position, std::vector<Tag>> migration() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Batch> batches_;
  std::map<Position, std::vector<Tag>> migration_;
  bool migrationAcknowledged_ = false;
};

// What a checked store must hold.
struct Expectation {
  enum class Kind {
    required,  // acknowledged: must be there
    prefix,    // committed later, or in flight at the cut: there or not, but only as a prefix
    failed     // its call failed: wholly there or wholly absent, later batches regardless
  };
  struct Batch {
    std::vector<NewEvent> events;
    Kind kind = Kind::required;
    std::string name;
  };
  std::vector<Batch> batches;  // in commit order
  std::map<Position, std::vector<Tag>> migration;
  bool migrationRequired = false;
  // Set when a batch whose call failed is in the store (allowed: its outcome was unknown).
  std::shared_ptr<std::vector<std::string>> failedButPresent =
      std::make_shared<std::vector<std::string>>();
};

// Expectation at a cut: acknowledged batches required, the others prefix (ordered by the
// positions they got by the end of the workload; failed ones last and as `failed`).
Expectation expectationAt(const History& history, const std::set<std::size_t>& acknowledged,
                          bool migrationAcknowledged);

// Problems of the store in `storeDir` (none: empty).
// When `reboot`, the ledger is first made to say it was written during another boot of the
// machine, so that the store replays its journal as after a power loss.
std::vector<std::string> checkStore(const std::filesystem::path& storeDir,
                                    const Expectation& expected, bool reboot,
                                    StorageSettings settings = {});

// Crash images taken during a workload.
struct Cut {
  std::string label;
  CrashVariant variant;
  std::uint64_t seed;
  CrashImage image;
  std::set<std::size_t> acknowledged;
  bool migrationAcknowledged = false;
};

class Recorder {
 public:
  Recorder(PowerLossFileSystem& files, const History& history, std::uint64_t seed,
           std::vector<CrashVariant> variants);
  // Takes one image per variant now (also called from the sync hook).
  void cut(const std::string& label);
  std::vector<Cut>& cuts() { return cuts_; }
  std::size_t syncPoints() const { return syncPoints_; }

 private:
  PowerLossFileSystem& files_;
  const History& history_;
  std::uint64_t seed_;
  std::vector<CrashVariant> variants_;
  std::mutex mutex_;
  std::vector<Cut> cuts_;
  std::size_t syncPoints_ = 0;
};

// Lays out every cut under `scratch`, reboots into it and checks it; the problems found, each
// prefixed with the cut's label, variant and seed.
std::vector<std::string> checkCuts(const std::vector<Cut>& cuts, const History& history,
                                   const std::filesystem::path& scratch,
                                   StorageSettings settings = {});

// All variants; the torn one once per seed round (OPOSSUM_POWER_LOSS_ROUNDS, default 1).
std::vector<CrashVariant> allVariants();
int rounds();

NewEvent numberedEvent(int id, std::string type, std::vector<Tag> tags);

}  // namespace opossum::test
