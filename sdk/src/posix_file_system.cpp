// The POSIX implementation of sdk::FileSystem. Every descriptor is opened with O_CLOEXEC so that
// plugins and applications that spawn processes do not leak store files (or locks) into them.
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include "opossum/errors.hpp"
#include "opossum/sdk/file_system.hpp"

namespace opossum::sdk {

FileSystem::~FileSystem() = default;
FileSystemWrapper::~FileSystemWrapper() = default;

namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& path, int error = errno) {
  throwIoError(what, path.string(), error);
}

bool isMissing(int error) { return error == ENOENT || error == ENOTDIR; }

// Every stat here is a statx that asks for no timestamps. A stat that reads a file's times makes
// Linux (6.13+, multigrain timestamps) give its next write a fine-grained time: the inode is then
// dirtied by every write, and every fdatasync of the store's journal pays an extra synchronous
// inode-table write (+40 us on this project's machines). Returns false with errno set on failure.
bool statNoTimes(int dirFd, const char* path, int flags, unsigned mask, struct statx& out) {
  return ::statx(dirFd, path, flags, mask, &out) == 0;
}
bool statNoTimes(const fs::path& path, unsigned mask, struct statx& out) {
  return statNoTimes(AT_FDCWD, path.c_str(), 0, mask, out);
}

// Which file a descriptor or a path names.
struct FileId {
  std::uint64_t inode = 0;
  std::uint32_t deviceMajor = 0;
  std::uint32_t deviceMinor = 0;
  friend bool operator==(const FileId&, const FileId&) = default;
};
std::optional<FileId> fileIdOf(int dirFd, const char* path, int flags) {
  struct statx st;
  if (!statNoTimes(dirFd, path, flags, STATX_INO, st)) return std::nullopt;
  return FileId{st.stx_ino, st.stx_dev_major, st.stx_dev_minor};
}
std::optional<FileId> fileIdOf(const fs::path& path) { return fileIdOf(AT_FDCWD, path.c_str(), 0); }
FileId fileIdOf(int fd, const fs::path& path) {
  auto id = fileIdOf(fd, "", AT_EMPTY_PATH);
  if (!id) fail("cannot stat", path);
  return *id;
}

int openOrThrow(const fs::path& path, int flags, const std::string& what, mode_t mode = 0644) {
  for (;;) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return fd;
    if (errno != EINTR) fail(what, path);
  }
}

// Closes on scope exit; errors of close() on a read-only or already-synced descriptor carry no
// information worth throwing for.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  // Closes now and reports failure, for files whose written data matters.
  void close(const fs::path& path) {
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0 && errno != EINTR) fail("cannot close", path);
  }

 private:
  int fd_;
};

void writeFully(int fd, std::string_view data, const fs::path& path) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void pwriteFully(int fd, std::uint64_t offset, std::string_view data, const fs::path& path) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::pwrite(fd, p, left, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path);
    }
    p += n;
    offset += static_cast<std::uint64_t>(n);
    left -= static_cast<std::size_t>(n);
  }
}

std::uint64_t fdSize(int fd, const fs::path& path) {
  struct statx st;
  if (!statNoTimes(fd, "", AT_EMPTY_PATH, STATX_SIZE, st)) fail("cannot stat", path);
  return st.stx_size;
}

void fsyncDirectory(const fs::path& path) {
  Fd fd(openOrThrow(path, O_RDONLY | O_DIRECTORY, "cannot open directory"));
  if (::fsync(fd.get()) != 0) fail("cannot sync directory", path);
}

fs::path parentOf(const fs::path& path) {
  fs::path parent = path.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(fs::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override { ::close(fd_); }

  // O_APPEND keeps appends at the true end even when another descriptor (another store object or
  // process, under the store lock) grew the file since this one was opened.
  void append(std::string_view data) override {
    setAppendFlag(true);
    writeFully(fd_, data, path_);
  }

  // pwrite ignores the offset on an O_APPEND descriptor (Linux), so the flag is cleared first.
  void writeAt(std::uint64_t offset, std::string_view data) override {
    setAppendFlag(false);
    pwriteFully(fd_, offset, data, path_);
  }

  void sync() override {
    if (::fdatasync(fd_) != 0) fail("cannot sync", path_);
  }

  void truncate(std::uint64_t size) override {
    while (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      if (errno != EINTR) fail("cannot truncate", path_);
    }
  }

  std::uint64_t size() override { return fdSize(fd_, path_); }
  const fs::path& path() const override { return path_; }

 private:
  void setAppendFlag(bool on) {
    if (appending_ == on) return;
    int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0) fail("cannot get flags of", path_);
    flags = on ? (flags | O_APPEND) : (flags & ~O_APPEND);
    if (::fcntl(fd_, F_SETFL, flags) != 0) fail("cannot set flags of", path_);
    appending_ = on;
  }

  fs::path path_;
  int fd_;
  bool appending_ = true;  // opened with O_APPEND
};

class PosixReadableFile final : public ReadableFile {
 public:
  PosixReadableFile(fs::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixReadableFile() override { ::close(fd_); }

  std::string readAt(std::uint64_t offset, std::size_t length) override {
    // A huge length means "the rest": never allocate more than the file holds.
    if (length > (std::size_t{1} << 20)) {
      std::uint64_t total = size();
      length = offset >= total ? 0 : std::min<std::uint64_t>(length, total - offset);
    }
    std::string out(length, '\0');
    std::size_t done = 0;
    while (done < length) {
      ssize_t n = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("cannot read", path_);
      }
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    out.resize(done);
    return out;
  }

  std::uint64_t size() override { return fdSize(fd_, path_); }
  const fs::path& path() const override { return path_; }

  bool replaced() override {
    if (!opened_) opened_ = fileIdOf(fd_, path_);
    return fileIdOf(path_) != opened_;
  }

 private:
  fs::path path_;
  int fd_;
  std::optional<FileId> opened_;  // learnt on first need
};

// An open lock file, idle or held.
struct LockFile {
  std::string path;
  int fd;
  FileId id;
};

// Lock files stay open between locks: a commit takes the store lock, and reusing the descriptor
// saves an open, a stat and a close each time. A descriptor is never shared by two holders, so
// each holder still has its own open file description and flock excludes other lock objects of
// this process exactly like other processes. Bounded; a forked child drops what it inherited (a
// shared description would let parent and child hold the same lock at once).
class IdleLockFiles {
 public:
  static IdleLockFiles& instance() {
    static IdleLockFiles* pool = [] {
      auto* p = new IdleLockFiles();  // never destroyed: locks may be released during exit
      ::pthread_atfork([] { instance().mutex_.lock(); }, [] { instance().mutex_.unlock(); },
                       [] {
                         auto& self = instance();
                         for (const auto& f : self.idle_) ::close(f.fd);
                         self.idle_.clear();
                         self.mutex_.unlock();
                       });
      return p;
    }();
    return *pool;
  }

  std::optional<LockFile> take(const std::string& path) {
    std::lock_guard guard(mutex_);
    for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
      if (it->path != path) continue;
      LockFile file = std::move(*it);
      idle_.erase(std::next(it).base());
      return file;
    }
    return std::nullopt;
  }

  void give(LockFile file) {
    std::lock_guard guard(mutex_);
    idle_.push_back(std::move(file));
    if (idle_.size() > kMaxIdle) {
      ::close(idle_.front().fd);
      idle_.erase(idle_.begin());
    }
  }

 private:
  static constexpr std::size_t kMaxIdle = 16;
  std::mutex mutex_;
  std::vector<LockFile> idle_;  // oldest first
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(LockFile file) : file_(std::move(file)) {}
  ~PosixFileLock() override {
    if (::flock(file_.fd, LOCK_UN) == 0) {
      IdleLockFiles::instance().give(std::move(file_));
    } else {
      ::close(file_.fd);  // closing the last descriptor releases the lock as well
    }
  }

 private:
  LockFile file_;
};

// Gives owner rwx to every directory of a tree so its entries can be listed and unlinked.
void makeRemovable(const fs::path& path) {
  struct statx st;
  if (!statNoTimes(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE, st) ||
      !S_ISDIR(st.stx_mode)) {
    return;
  }
  ::chmod(path.c_str(), (st.stx_mode & 07777) | S_IRWXU);
  std::error_code ec;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    makeRemovable(it->path());
  }
}

class PosixFileSystem final : public FileSystem {
 public:
  std::unique_ptr<WritableFile> openWritable(const fs::path& path, OpenMode mode) override {
    int flags = O_WRONLY | O_CREAT | O_APPEND;
    if (mode == OpenMode::truncate) flags |= O_TRUNC;
    if (mode == OpenMode::exclusive) flags |= O_EXCL;
    int fd = openOrThrow(path, flags, "cannot open for writing");
    return std::make_unique<PosixWritableFile>(path, fd);
  }

  std::unique_ptr<ReadableFile> openReadable(const fs::path& path) override {
    int fd;
    while ((fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC)) < 0) {
      if (errno == EINTR) continue;
      if (isMissing(errno)) return nullptr;
      fail("cannot open for reading", path);
    }
    return std::make_unique<PosixReadableFile>(path, fd);
  }

  std::optional<std::string> readFile(const fs::path& path) override {
    int raw;
    while ((raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC)) < 0) {
      if (errno == EINTR) continue;
      if (isMissing(errno)) return std::nullopt;
      fail("cannot open for reading", path);
    }
    Fd fd(raw);
    struct statx st;
    if (!statNoTimes(fd.get(), "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, st)) {
      fail("cannot stat", path);
    }
    // Files that report no size (/proc, pipes) are read until read() returns 0.
    const bool sized = S_ISREG(st.stx_mode) && st.stx_size > 0;
    const auto expected = static_cast<std::size_t>(st.stx_size);
    // One spare byte: a regular file that fills less than the buffer is known to be at its end,
    // so the common case costs one read() call.
    std::string data(expected + 1, '\0');
    std::size_t done = 0;
    for (;;) {
      if (done == data.size()) data.resize(data.size() * 2);
      ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("cannot read", path);
      }
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
      if (sized && done >= expected && done < data.size()) break;
    }
    data.resize(done);
    return data;
  }

  void replaceFile(const fs::path& path, std::string_view data, bool sync) override {
    static std::atomic<std::uint64_t> counter{0};
    fs::path temp = path;
    temp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(++counter);
    try {
      Fd fd(openOrThrow(temp, O_WRONLY | O_CREAT | O_TRUNC, "cannot create"));
      writeFully(fd.get(), data, temp);
      if (sync && ::fdatasync(fd.get()) != 0) fail("cannot sync", temp);
      fd.close(temp);
      if (::rename(temp.c_str(), path.c_str()) != 0) {
        fail("cannot rename '" + temp.string() + "' to", path);
      }
    } catch (...) {
      ::unlink(temp.c_str());
      throw;
    }
    if (sync) fsyncDirectory(parentOf(path));
  }

  void rename(const fs::path& from, const fs::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      fail("cannot rename '" + from.string() + "' to", to);
    }
  }

  bool remove(const fs::path& path) override {
    if (::unlink(path.c_str()) == 0) return true;
    int error = errno;
    if (error == EISDIR || error == EPERM) {
      // Like std::filesystem::remove: an empty directory goes too.
      if (::rmdir(path.c_str()) == 0) return true;
      if (errno == ENOTDIR) fail("cannot remove", path, error);
      error = errno;
    }
    if (isMissing(error)) return false;
    fail("cannot remove", path, error);
  }

  void removeAll(const fs::path& path) override {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (!ec) return;
    // Write-protected directories (writeProtect* options) refuse unlinking their entries.
    if (ec.value() == EACCES || ec.value() == EPERM) {
      makeRemovable(path);
      ec.clear();
      fs::remove_all(path, ec);
      if (!ec) return;
    }
    fail("cannot remove", path, ec.value());
  }

  void createDirectories(const fs::path& path) override {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) fail("cannot create directory", path, ec.value());
  }

  bool exists(const fs::path& path) override {
    struct statx st;
    if (statNoTimes(path, STATX_TYPE, st)) return true;
    if (isMissing(errno)) return false;
    fail("cannot stat", path);
  }

  std::optional<std::uint64_t> fileSize(const fs::path& path) override {
    struct statx st;
    if (statNoTimes(path, STATX_SIZE, st)) return st.stx_size;
    if (isMissing(errno)) return std::nullopt;
    fail("cannot stat", path);
  }

  std::vector<std::string> listDirectory(const fs::path& path) override {
    int fd;
    while ((fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
      if (errno == EINTR) continue;
      if (isMissing(errno)) return {};
      fail("cannot open directory", path);
    }
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
      int error = errno;
      ::close(fd);
      fail("cannot open directory", path, error);
    }
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      dirent* entry = ::readdir(dir);
      if (entry == nullptr) {
        int error = errno;
        ::closedir(dir);
        if (error != 0) fail("cannot list directory", path, error);
        break;
      }
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    // Directory order is arbitrary; callers get a stable one.
    std::sort(names.begin(), names.end());
    return names;
  }

  void syncDirectory(const fs::path& path) override { fsyncDirectory(path); }

  void syncFileSystem(const fs::path& path) override {
    Fd fd(openOrThrow(path, O_RDONLY, "cannot open"));
    if (::syncfs(fd.get()) != 0) fail("cannot sync file system of", path);
  }

  void setReadOnly(const fs::path& path, bool readOnly) override {
    struct statx st;
    if (!statNoTimes(path, STATX_MODE, st)) fail("cannot stat", path);
    mode_t mode = st.stx_mode & 07777;
    mode = readOnly ? (mode & ~mode_t{S_IWUSR | S_IWGRP | S_IWOTH}) : (mode | S_IWUSR);
    if (::chmod(path.c_str(), mode) != 0) {
      fail(readOnly ? "cannot make read-only" : "cannot make writable", path);
    }
  }

  std::unique_ptr<FileLock> lock(const fs::path& path, std::chrono::milliseconds timeout,
                                 std::stop_token cancel) override {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + timeout;
    auto pause = std::chrono::microseconds(50);
    for (;;) {
      LockFile file = openLockFile(path);
      Fd fd(file.fd);  // closed on every way out but success
      for (;;) {
        if (cancel.stop_requested()) {
          throw CancelledError("cancelled while waiting for the lock '" + path.string() + "'");
        }
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) break;
        if (errno == EINTR) continue;
        if (errno != EWOULDBLOCK) fail("cannot lock", path);
        if (Clock::now() >= deadline) {
          throw LockTimeoutError(
              "could not lock '" + path.string() +
              "' within crossProcessLockTimeoutMs=" + std::to_string(timeout.count()));
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(2000));
      }
      // The holder before us may have deleted (and someone recreated) the lock file; a lock on an
      // unlinked inode excludes nobody, so lock the file the path names now.
      if (fileIdOf(path) == file.id) {
        fd.release();
        return std::make_unique<PosixFileLock>(std::move(file));
      }
    }
  }

 private:
  // An idle descriptor of this path from an earlier lock, or a new one.
  static LockFile openLockFile(const fs::path& path) {
    if (auto idle = IdleLockFiles::instance().take(path.string())) return std::move(*idle);
    int raw;
    do {
      raw = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      // A directory is locked itself (flock works on any descriptor).
      if (raw < 0 && errno == EISDIR) {
        raw = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      }
    } while (raw < 0 && errno == EINTR);
    if (raw < 0) fail("cannot open lock file", path);
    Fd fd(raw);
    const FileId id = fileIdOf(fd.get(), path);
    return LockFile{path.string(), fd.release(), id};
  }
};

}  // namespace

std::shared_ptr<FileSystem> posixFileSystem() {
  static const std::shared_ptr<FileSystem> instance = std::make_shared<PosixFileSystem>();
  return instance;
}

}  // namespace opossum::sdk
