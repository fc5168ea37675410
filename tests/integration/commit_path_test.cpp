// What a commit asks of the operating system. A stat that returns a file's times makes Linux
// (6.13+, multigrain timestamps) stamp the file's next write with a fine-grained time: the inode
// is then dirtied by every write and every fdatasync of the journal also writes the inode table.
// So a commit must not call the stat family; sizes and identities come from statx asking for
// them alone. This test interposes the stat family (the executable's definitions win over libc's
// for every library of the process) and counts the calls of the committing thread.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>

#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

namespace {

thread_local bool watching = false;
std::atomic<int> timeReads{0};

int statAt(int dirFd, const char* path, void* out, int flags) {
  if (watching) ++timeReads;
  return static_cast<int>(::syscall(SYS_newfstatat, dirFd, path, out, flags));
}

}  // namespace

// Default visibility: the project builds with hidden symbols, and these must be exported.
#define INTERPOSED extern "C" __attribute__((visibility("default")))

INTERPOSED int stat(const char* path, struct stat* out) noexcept {
  return statAt(AT_FDCWD, path, out, 0);
}
INTERPOSED int stat64(const char* path, struct stat64* out) noexcept {
  return statAt(AT_FDCWD, path, out, 0);
}
INTERPOSED int lstat(const char* path, struct stat* out) noexcept {
  return statAt(AT_FDCWD, path, out, AT_SYMLINK_NOFOLLOW);
}
INTERPOSED int lstat64(const char* path, struct stat64* out) noexcept {
  return statAt(AT_FDCWD, path, out, AT_SYMLINK_NOFOLLOW);
}
INTERPOSED int fstat(int fd, struct stat* out) noexcept {
  return statAt(fd, "", out, AT_EMPTY_PATH);
}
INTERPOSED int fstat64(int fd, struct stat64* out) noexcept {
  return statAt(fd, "", out, AT_EMPTY_PATH);
}
INTERPOSED int fstatat(int dirFd, const char* path, struct stat* out, int flags) noexcept {
  return statAt(dirFd, path, out, flags);
}
INTERPOSED int fstatat64(int dirFd, const char* path, struct stat64* out, int flags) noexcept {
  return statAt(dirFd, path, out, flags);
}

using namespace opossum;

TEST_CASE("a commit reads no file's times") {
  opossum::test::usePluginDir();
  opossum::test::TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "s");
  // The interposition works: an ordinary stat in this thread is counted.
  watching = true;
  struct stat st;
  REQUIRE(::stat(dir.path().c_str(), &st) == 0);
  watching = false;
  REQUIRE(timeReads.exchange(0) == 1);

  Position last = store->append({opossum::test::makeEvent("Warm", "{}", {{"k", "0"}})});
  watching = true;  // a single writer commits in its own thread
  for (int i = 1; i <= 20; ++i) {
    const Tag tag{"k", std::to_string(i)};
    last = store->append({opossum::test::makeEvent("Counted", "{}", {tag})},
                         AppendCondition{Query::fromTags({tag}), last});
    store->readLast(Query::fromTags({tag}));
  }
  watching = false;
  CHECK(timeReads.load() == 0);
  CHECK(last == 21);
}
