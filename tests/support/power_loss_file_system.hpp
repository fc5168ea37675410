// A file system for power-loss and I/O-error tests, in the manner of LevelDB's fault-injection Env
// and SQLite's crash tests. It forwards every call to a real file system (so the store works as
// usual) and keeps a model of what a power cut would leave on the disk:
//
// - file data: what a file held at its last sync (WritableFile::sync, a replaceFile with sync, or
//   a syncFileSystem) is durable; writes and truncations since then may be lost, kept, or torn
//   (512-byte sectors of a write kept or not, a grown size filled with zeros or garbage);
// - names: a file or folder created, renamed or removed is durable only after a syncDirectory of
//   its parent folder or a syncFileSystem; replaceFile with sync syncs the new file and its folder.
//
// Before each sync the sync hook is called: a test takes crash images there (image()), lays them
// into a fresh folder (layOut()) and opens the store on them as after a reboot.
//
// Faults: armFault() makes the n-th write or sync from then on throw opossum::IoError once (EIO or
// ENOSPC, like the POSIX file system). A failed file sync also drops the file's unsynced writes
// from the model for good, as Linux does (it marks the pages clean after a failed writeback).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "opossum/sdk/file_system.hpp"

namespace opossum::test {

// What a crash image keeps of the writes since the last sync.
enum class CrashVariant {
  dropUnsynced,  // durable names, data as of each file's last sync
  tornUnsynced,  // durable names, unsynced writes torn at random (seeded)
  keepUnsynced,  // durable names, every write kept
  namesKept,     // every name operation kept (metadata reached the disk), unsynced data dropped
};
const char* variantName(CrashVariant variant);

// Relative path -> content; folders map to nullopt.
using CrashImage = std::map<std::filesystem::path, std::optional<std::string>>;

enum class FaultKind { write, sync };

// Syncs nothing: for stores whose durability a model decides (or that no power cut follows), so
// that the tests do not wait for the disk.
class NoSyncFileSystem : public sdk::FileSystemWrapper {
 public:
  explicit NoSyncFileSystem(std::shared_ptr<sdk::FileSystem> target = sdk::posixFileSystem());
  std::unique_ptr<sdk::WritableFile> openWritable(const std::filesystem::path& path,
                                                  sdk::OpenMode mode) override;
  void replaceFile(const std::filesystem::path& path, std::string_view data, bool sync) override;
  void syncDirectory(const std::filesystem::path&) override {}
  void syncFileSystem(const std::filesystem::path&) override {}
};

class PowerLossFileSystem : public sdk::FileSystemWrapper {
 public:
  // Everything below `root` is modelled; what exists there now counts as durable.
  explicit PowerLossFileSystem(
      std::filesystem::path root,
      std::shared_ptr<sdk::FileSystem> target = std::make_shared<NoSyncFileSystem>());

  // Called (from the syncing thread, with the model locked) before each sync, named by `what`.
  void setSyncHook(std::function<void(const std::string& what)> hook);
  // Runs `fn` with the model locked: no file operation of another thread in between.
  void atomically(const std::function<void()>& fn) {
    std::lock_guard guard(mutex_);
    fn();
  }
  // What a power cut now would leave. Only from the sync hook or while no thread writes.
  CrashImage image(CrashVariant variant, std::uint64_t seed) const;
  // Where the model's live view differs from the files below the root (lock files aside): the
  // model must follow every change, or its crash images mean nothing.
  std::vector<std::string> modelDifferences() const;
  // Writes an image into `dir` (created; must not exist yet).
  static void layOut(const CrashImage& image, const std::filesystem::path& dir);

  // The `nth` write (0-based: openWritable, append, writeAt, truncate, replaceFile) or sync
  // (sync, syncDirectory, syncFileSystem, the sync of a replaceFile) from now on fails once.
  void armFault(FaultKind kind, std::size_t nth, int error);
  // Faults of a broken file system, for checking that the tests catch them: a sync that says it
  // succeeded but made nothing durable, and an error that is not an IoError.
  static constexpr int kSilentSync = 0;
  static constexpr int kNotIoError = -1;
  bool faultFired() const { return fired_; }
  std::string faultDescription() const;
  // Writes and syncs seen since construction.
  std::size_t writes() const { return writes_; }
  std::size_t syncs() const { return syncs_; }

  // A deliberately broken model for checking that the tests can fail: syncs reach the disk but
  // the model forgets them, as if the store never synced.
  void setIgnoreSyncs(bool ignore) { ignoreSyncs_ = ignore; }

  std::unique_ptr<sdk::WritableFile> openWritable(const std::filesystem::path& path,
                                                  sdk::OpenMode mode) override;
  void replaceFile(const std::filesystem::path& path, std::string_view data, bool sync) override;
  void rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  bool remove(const std::filesystem::path& path) override;
  void removeAll(const std::filesystem::path& path) override;
  void createDirectories(const std::filesystem::path& path) override;
  void syncDirectory(const std::filesystem::path& path) override;
  void syncFileSystem(const std::filesystem::path& path) override;

 private:
  class File;
  struct Change {
    bool truncate = false;
    std::uint64_t offset = 0;  // of a write; the new size of a truncation
    std::string data;
  };
  struct Inode {
    std::string live;     // what readers see now
    std::string durable;  // as of the last sync
    std::vector<Change> pending;
  };

  std::filesystem::path key(const std::filesystem::path& path) const;
  bool modelled(const std::filesystem::path& key) const;
  int newInode(std::string content, bool durable);
  void recordWrite(int inode, std::uint64_t offset, std::string_view data);
  void recordTruncate(int inode, std::uint64_t size);
  void syncInode(int inode);
  // Throws IoError when the armed fault is this operation. Caller holds mutex_.
  // Returns true for a silently failed sync (kSilentSync): the caller skips it.
  bool maybeFail(FaultKind kind, const std::filesystem::path& path, const char* what,
                 std::size_t* keepBytes = nullptr);
  void beforeSync(const std::string& what);

  std::filesystem::path root_;
  mutable std::recursive_mutex mutex_;
  std::function<void(const std::string&)> hook_;
  std::map<int, Inode> inodes_;
  int nextInode_ = 1;
  std::map<std::filesystem::path, int> liveFiles_, durableFiles_;
  std::set<std::filesystem::path> liveDirs_, durableDirs_;

  std::atomic<std::size_t> writes_{0}, syncs_{0};
  std::optional<FaultKind> faultKind_;
  std::size_t faultAt_ = 0;
  int faultError_ = 0;
  std::atomic<bool> fired_{false};
  std::string firedAt_;
  bool ignoreSyncs_ = false;
};

// Points TMPDIR at /dev/shm when it exists: what is durable is the model's business, not the
// disk's, and creating files on a disk is what makes these tests slow.
void useMemoryTempDir();

}  // namespace opossum::test
