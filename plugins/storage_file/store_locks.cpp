#include "store_locks.hpp"

#include <string>

#include "opossum/errors.hpp"

namespace opossum::plugins::file_storage {

namespace fs = std::filesystem;

namespace {

class GuardedLock : public sdk::FileLock {
 public:
  GuardedLock(sdk::FileSystem& files, const fs::path& file, const fs::path& folder,
              std::chrono::milliseconds timeout, std::stop_token cancel)
      : file_(files.lock(file, timeout, cancel)) {
    // The folder exists but after a deleteStore (events/): created only when missing, since a
    // commit takes this lock and must not pay for a stat of it.
    for (int attempt = 0;; ++attempt) {
      if (attempt > 0) files.createDirectories(folder);
      try {
        // "folder/." names the folder and is never created as a file: deleteStore may remove
        // the folder while we wait, and locking a path that no longer exists must not put a
        // file where the folder belongs.
        folder_ = files.lock(folder / ".", timeout, cancel);
        return;
      } catch (const LockTimeoutError&) {
        throw LockTimeoutError(
            "could not lock '" + file.string() + "' (and its folder '" + folder.string() +
            "') within crossProcessLockTimeoutMs=" + std::to_string(timeout.count()));
      } catch (const IoError&) {
        if (attempt > 100 || files.exists(folder)) throw;  // else removed: create it again
      }
    }
  }

 private:
  std::unique_ptr<sdk::FileLock> file_;
  std::unique_ptr<sdk::FileLock> folder_;  // released first
};

}  // namespace

std::unique_ptr<sdk::FileLock> lockGuarded(sdk::FileSystem& files, const fs::path& lockFile,
                                           const fs::path& folder,
                                           std::chrono::milliseconds timeout,
                                           std::stop_token cancel) {
  return std::make_unique<GuardedLock>(files, lockFile, folder, timeout, cancel);
}

std::unique_ptr<sdk::FileLock> lockStoreFolder(sdk::FileSystem& files, const fs::path& dir,
                                               std::chrono::milliseconds timeout,
                                               std::stop_token cancel) {
  return lockGuarded(files, dir / ".store.lock", dir, timeout, cancel);
}

std::unique_ptr<sdk::FileLock> lockEventsFolder(sdk::FileSystem& files, const fs::path& dir,
                                                std::chrono::milliseconds timeout,
                                                std::stop_token cancel) {
  // deleteStore removes events/ while holding this lock, so a waiter may wake on the old folder:
  // the lock then takes the one the path names now.
  return lockGuarded(files, dir / ".materialize.lock", dir / "events", timeout, cancel);
}

}  // namespace opossum::plugins::file_storage
