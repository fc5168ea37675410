// The one seam between the storage engine and the operating system. Plugins do every file
// operation through it, so tests inject faults (disk full, short writes, failing syncs, lost
// unsynced data) by wrapping it (FileSystemWrapper) and overriding a single method.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "opossum/export.hpp"

namespace opossum::sdk {

namespace fs = std::filesystem;

// An open file for writing. Errors are thrown as opossum::IoError naming the file.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual void append(std::string_view data) = 0;
  virtual void writeAt(std::uint64_t offset, std::string_view data) = 0;
  virtual void sync() = 0;  // data (and the size when it changed) reach stable storage
  virtual void truncate(std::uint64_t size) = 0;
  virtual std::uint64_t size() = 0;
  virtual const fs::path& path() const = 0;
};

// An open file for reading at offsets.
class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to `length` bytes at `offset`; fewer at the end of the file.
  virtual std::string readAt(std::uint64_t offset, std::size_t length) = 0;
  virtual std::uint64_t size() = 0;
  virtual const fs::path& path() const = 0;
  // Whether path() now names another file or none (deleted, or renamed over), so that a reader
  // kept open would see stale content. Implementations that cannot tell say true.
  virtual bool replaced() { return true; }
};

// Held while alive; the lock is released on destruction (and by the OS if the process dies).
class FileLock {
 public:
  virtual ~FileLock() = default;
};

enum class OpenMode {
  append,    // create if missing, keep the content
  truncate,  // create if missing, empty it
  exclusive  // create; fail if it exists
};

class OPOSSUM_EXPORT FileSystem {
 public:
  virtual ~FileSystem();

  virtual std::unique_ptr<WritableFile> openWritable(const fs::path& path, OpenMode mode) = 0;
  // nullptr when the file does not exist.
  virtual std::unique_ptr<ReadableFile> openReadable(const fs::path& path) = 0;
  // The whole file, or nullopt when it does not exist.
  virtual std::optional<std::string> readFile(const fs::path& path) = 0;
  // Writes a temporary file and renames it over `path`: readers see the old or the new content.
  virtual void replaceFile(const fs::path& path, std::string_view data, bool sync) = 0;
  virtual void rename(const fs::path& from, const fs::path& to) = 0;
  virtual bool remove(const fs::path& path) = 0;  // false when it did not exist
  // Removes a tree, clearing write protection where needed; missing is fine.
  virtual void removeAll(const fs::path& path) = 0;
  virtual void createDirectories(const fs::path& path) = 0;
  virtual bool exists(const fs::path& path) = 0;
  virtual std::optional<std::uint64_t> fileSize(const fs::path& path) = 0;
  virtual std::vector<std::string> listDirectory(
      const fs::path& path) = 0;  // names; empty if missing
  virtual void syncDirectory(const fs::path& path) = 0;
  // Flushes every dirty file of the file system holding `path` (one call instead of one per file).
  virtual void syncFileSystem(const fs::path& path) = 0;
  virtual void setReadOnly(const fs::path& path, bool readOnly) = 0;
  // Exclusive advisory lock on `path` (a file, created if missing, or an existing directory;
  // "dir/." names a directory and fails with IoError when it does not exist),
  // across threads and processes. Waits up to `timeout`; then throws opossum::LockTimeoutError
  // naming the file. Throws opossum::CancelledError when `cancel` fires while waiting. A lock
  // file deleted while held excludes nobody afterwards; a directory cannot be deleted by
  // accident while it holds data, so locks that guard data are best taken on its directory.
  virtual std::unique_ptr<FileLock> lock(const fs::path& path, std::chrono::milliseconds timeout,
                                         std::stop_token cancel) = 0;
};

// The operating system's file system (POSIX).
OPOSSUM_EXPORT std::shared_ptr<FileSystem> posixFileSystem();

// Forwards every call to a target; derive from it to change one behaviour in a test.
class OPOSSUM_EXPORT FileSystemWrapper : public FileSystem {
 public:
  explicit FileSystemWrapper(std::shared_ptr<FileSystem> target) : target_(std::move(target)) {}
  ~FileSystemWrapper() override;

  std::unique_ptr<WritableFile> openWritable(const fs::path& p, OpenMode m) override {
    return target_->openWritable(p, m);
  }
  std::unique_ptr<ReadableFile> openReadable(const fs::path& p) override {
    return target_->openReadable(p);
  }
  std::optional<std::string> readFile(const fs::path& p) override { return target_->readFile(p); }
  void replaceFile(const fs::path& p, std::string_view d, bool s) override {
    target_->replaceFile(p, d, s);
  }
  void rename(const fs::path& f, const fs::path& t) override { target_->rename(f, t); }
  bool remove(const fs::path& p) override { return target_->remove(p); }
  void removeAll(const fs::path& p) override { target_->removeAll(p); }
  void createDirectories(const fs::path& p) override { target_->createDirectories(p); }
  bool exists(const fs::path& p) override { return target_->exists(p); }
  std::optional<std::uint64_t> fileSize(const fs::path& p) override { return target_->fileSize(p); }
  std::vector<std::string> listDirectory(const fs::path& p) override {
    return target_->listDirectory(p);
  }
  void syncDirectory(const fs::path& p) override { target_->syncDirectory(p); }
  void syncFileSystem(const fs::path& p) override { target_->syncFileSystem(p); }
  void setReadOnly(const fs::path& p, bool r) override { target_->setReadOnly(p, r); }
  std::unique_ptr<FileLock> lock(const fs::path& p, std::chrono::milliseconds t,
                                 std::stop_token c) override {
    return target_->lock(p, t, c);
  }

 protected:
  FileSystem& target() { return *target_; }

 private:
  std::shared_ptr<FileSystem> target_;
};

}  // namespace opossum::sdk
