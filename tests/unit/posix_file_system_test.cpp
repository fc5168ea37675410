#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "child_process.hpp"
#include "opossum/errors.hpp"
#include "opossum/sdk/file_system.hpp"
#include "temp_dir.hpp"

using namespace std::chrono_literals;
using opossum::sdk::OpenMode;
using opossum::test::TempDir;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Root ignores permission bits, so checks that rely on them are skipped there.
bool permissionsApply() { return ::geteuid() != 0; }

}  // namespace

TEST_CASE("throwIoError says what, where and why", "[fs]") {
  try {
    opossum::throwIoError("cannot open", "/x/y", ENOENT);
    FAIL("did not throw");
  } catch (const opossum::IoError& e) {
    CHECK(std::string(e.what()) == "cannot open '/x/y': No such file or directory");
  }
}

TEST_CASE("writable files append, write at offsets, truncate and report their size", "[fs]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / "data.bin";
  {
    auto file = fs->openWritable(path, OpenMode::append);
    CHECK(file->path() == path);
    file->append("hello");
    file->append(" world");
    CHECK(file->size() == 11);
    file->writeAt(0, "J");
    file->append("!");
    file->sync();
    CHECK(*fs->readFile(path) == "Jello world!");
    file->truncate(5);
    CHECK(file->size() == 5);
    file->append("?");
    file->writeAt(8, "x");  // past the end: a hole of zeros
    CHECK(file->size() == 9);
  }
  CHECK(*fs->readFile(path) == std::string("Jello?\0\0x", 9));
  CHECK(fs->fileSize(path) == 9u);

  {
    auto file = fs->openWritable(path, OpenMode::append);  // keeps the content
    file->append("END");
  }
  CHECK(*fs->readFile(path) == std::string("Jello?\0\0xEND", 12));

  {
    auto file = fs->openWritable(path, OpenMode::truncate);
    CHECK(file->size() == 0);
  }
  CHECK(*fs->readFile(path) == "");
}

TEST_CASE("append lands at the end even when another descriptor grew the file", "[fs]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / "shared.log";
  auto a = fs->openWritable(path, OpenMode::append);
  auto b = fs->openWritable(path, OpenMode::append);
  a->append("aa");
  b->append("bb");
  a->append("AA");
  CHECK(*fs->readFile(path) == "aabbAA");
}

TEST_CASE("exclusive open refuses an existing file and names it", "[fs]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / "once";
  fs->openWritable(path, OpenMode::exclusive)->append("1");
  try {
    fs->openWritable(path, OpenMode::exclusive);
    FAIL("opened twice");
  } catch (const opossum::IoError& e) {
    CHECK(contains(e.what(), "'" + path.string() + "'"));
    CHECK(contains(e.what(), "File exists"));
  }
  CHECK(*fs->readFile(path) == "1");
}

TEST_CASE("errors name the file", "[fs]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / "no-such-dir" / "f";
  CHECK_THROWS_WITH(fs->openWritable(path, OpenMode::append),
                    Catch::Contains(path.string()) && Catch::Contains("No such file"));
  CHECK_THROWS_AS(fs->syncDirectory(dir / "missing"), opossum::IoError);
  CHECK_THROWS_AS(fs->rename(dir / "a", dir / "b"), opossum::IoError);
  CHECK_THROWS_AS(fs->setReadOnly(dir / "missing", true), opossum::IoError);
  // A directory is not a readable file's content.
  CHECK_THROWS_AS(fs->readFile(dir.path()), opossum::IoError);
}

TEST_CASE("missing files are reported as absent, not as errors", "[fs]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto missing = dir / "missing";
  CHECK_FALSE(fs->readFile(missing).has_value());
  CHECK_FALSE(fs->readFile(missing / "below").has_value());
  CHECK(fs->openReadable(missing) == nullptr);
  CHECK_FALSE(fs->fileSize(missing).has_value());
  CHECK_FALSE(fs->exists(missing));
  CHECK(fs->listDirectory(missing).empty());
  CHECK_FALSE(fs->remove(missing));
  CHECK_NOTHROW(fs->removeAll(missing));
}

TEST_CASE("readable files read at offsets", "[fs]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / "r";
  fs->replaceFile(path, "0123456789", false);
  auto file = fs->openReadable(path);
  REQUIRE(file != nullptr);
  CHECK(file->path() == path);
  CHECK(file->size() == 10);
  CHECK(file->readAt(2, 3) == "234");
  CHECK(file->readAt(8, 100) == "89");
  CHECK(file->readAt(20, 5) == "");
  CHECK(file->readAt(3, SIZE_MAX) == "3456789");
}

TEST_CASE("a readable file tells when its path names another file or none", "[fs]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / "r";
  fs->replaceFile(path, "one", false);
  auto file = fs->openReadable(path);
  CHECK_FALSE(file->replaced());
  fs->openWritable(path, OpenMode::append)->writeAt(0, "two");  // in place: the same file
  CHECK_FALSE(file->replaced());
  CHECK(file->readAt(0, 3) == "two");
  fs->replaceFile(path, "three", false);  // renamed over
  CHECK(file->replaced());
  auto renewed = fs->openReadable(path);
  CHECK_FALSE(renewed->replaced());
  REQUIRE(fs->remove(path));
  CHECK(renewed->replaced());
}

TEST_CASE("readFile returns big files whole", "[fs]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  std::string big(3 * 1024 * 1024 + 17, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4097) big[i] = static_cast<char>('a' + i % 26);
  fs->replaceFile(dir / "big", big, true);
  CHECK(*fs->readFile(dir / "big") == big);
  CHECK(fs->readFile("/proc/self/status")->find("Pid:") != std::string::npos);
}

TEST_CASE("replaceFile swaps the content and leaves no temporary file", "[fs]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / "ledger.json";
  fs->replaceFile(path, "one", true);
  CHECK(*fs->readFile(path) == "one");
  fs->replaceFile(path, "two, longer", false);
  CHECK(*fs->readFile(path) == "two, longer");
  fs->replaceFile(path, "", true);
  CHECK(*fs->readFile(path) == "");
  CHECK(fs->listDirectory(dir.path()) == std::vector<std::string>{"ledger.json"});
  CHECK_THROWS_AS(fs->replaceFile(dir / "missing" / "x", "data", true), opossum::IoError);
  CHECK(fs->listDirectory(dir.path()) == std::vector<std::string>{"ledger.json"});
}

TEST_CASE("directories are created, listed, synced and removed", "[fs]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto deep = dir / "a" / "b" / "c";
  fs->createDirectories(deep);
  fs->createDirectories(deep);  // existing is fine
  CHECK(fs->exists(deep));
  fs->replaceFile(deep / "f2", "x", false);
  fs->replaceFile(deep / "f1", "y", false);
  fs->createDirectories(deep / "sub");
  CHECK(fs->listDirectory(deep) == std::vector<std::string>{"f1", "f2", "sub"});
  CHECK_NOTHROW(fs->syncDirectory(deep));
  CHECK_NOTHROW(fs->syncFileSystem(deep));
  CHECK_NOTHROW(fs->syncFileSystem(deep / "f1"));

  fs->rename(deep / "f1", deep / "g1");
  CHECK(*fs->readFile(deep / "g1") == "y");
  CHECK(fs->remove(deep / "g1"));
  CHECK_FALSE(fs->remove(deep / "g1"));
  CHECK(fs->remove(deep / "sub"));  // an empty directory, like std::filesystem::remove
  fs->replaceFile(dir / "a" / "file", "z", false);
  CHECK_THROWS_AS(fs->createDirectories(dir / "a" / "file" / "x"), opossum::IoError);

  fs->removeAll(dir / "a");
  CHECK_FALSE(fs->exists(dir / "a"));
}

TEST_CASE("removeAll removes write-protected files and directories", "[fs]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto root = dir / "store";
  fs->createDirectories(root / "events");
  fs->replaceFile(root / "events" / "1.json", "{}", false);
  fs->replaceFile(root / "top", "{}", false);
  fs->setReadOnly(root / "events" / "1.json", true);
  fs->setReadOnly(root / "top", true);
  fs->setReadOnly(root / "events", true);
  fs->setReadOnly(root, true);
  fs->removeAll(root);
  CHECK_FALSE(fs->exists(root));
  CHECK(fs->listDirectory(dir.path()).empty());
}

TEST_CASE("setReadOnly clears and restores the write bits", "[fs]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / "event";
  fs->openWritable(path, OpenMode::truncate)->append("x");
  ::chmod(path.c_str(), 0644);
  struct stat st;
  fs->setReadOnly(path, true);
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0444);
  if (permissionsApply()) {
    CHECK_THROWS_WITH(fs->openWritable(path, OpenMode::append), Catch::Contains(path.string()));
  }
  fs->setReadOnly(path, false);
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  fs->openWritable(path, OpenMode::append)->append("y");
  CHECK(*fs->readFile(path) == "xy");
}

TEST_CASE("a lock excludes a second lock in the same process", "[fs][lock]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / ".store.lock";
  auto held = fs->lock(path, 1000ms, {});
  CHECK(fs->exists(path));
  auto start = std::chrono::steady_clock::now();
  try {
    fs->lock(path, 150ms, {});
    FAIL("locked twice");
  } catch (const opossum::LockTimeoutError& e) {
    CHECK(std::string(e.what()) ==
          "could not lock '" + path.string() + "' within crossProcessLockTimeoutMs=150");
  }
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 150ms);
  CHECK(waited < 2s);
  CHECK_THROWS_AS(fs->lock(path, 0ms, {}), opossum::LockTimeoutError);

  held.reset();
  auto again = fs->lock(path, 0ms, {});
  CHECK(again != nullptr);
}

TEST_CASE("a directory is locked itself, and no file is created in it", "[fs][lock]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto folder = dir / "store";
  fs->createDirectories(folder);
  auto held = fs->lock(folder, 1000ms, {});
  CHECK_THROWS_AS(fs->lock(folder, 50ms, {}), opossum::LockTimeoutError);
  CHECK(fs->listDirectory(folder).empty());
  CHECK(std::filesystem::is_directory(folder));
  held.reset();
  CHECK(fs->lock(folder, 0ms, {}) != nullptr);
}

TEST_CASE("a waiting lock is granted when the holder releases", "[fs][lock]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / "l";
  auto held = fs->lock(path, 1000ms, {});
  std::thread releaser([&] {
    std::this_thread::sleep_for(100ms);
    held.reset();
  });
  auto start = std::chrono::steady_clock::now();
  auto second = fs->lock(path, 5000ms, {});
  auto waited = std::chrono::steady_clock::now() - start;
  releaser.join();
  CHECK(second != nullptr);
  CHECK(waited >= 90ms);
  CHECK(waited < 3s);
}

TEST_CASE("waiting for a lock can be cancelled", "[fs][lock]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / "l";
  auto held = fs->lock(path, 1000ms, {});

  std::stop_source source;
  std::thread canceller([&] {
    std::this_thread::sleep_for(50ms);
    source.request_stop();
  });
  auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(fs->lock(path, 10000ms, source.get_token()), opossum::CancelledError);
  canceller.join();
  CHECK(std::chrono::steady_clock::now() - start < 5s);

  held.reset();
  std::stop_source already;
  already.request_stop();
  CHECK_THROWS_AS(fs->lock(path, 1000ms, already.get_token()), opossum::CancelledError);
  CHECK(fs->lock(path, 0ms, {}) != nullptr);
}

TEST_CASE("a lock whose file was deleted and recreated does not admit a second holder",
          "[fs][lock]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / "l";
  auto first = fs->lock(path, 1000ms, {});
  bool waiterGotIt = false;
  bool waiterTimedOut = false;
  std::thread waiter([&] {
    try {
      auto lock = fs->lock(path, 600ms, {});
      waiterGotIt = true;
    } catch (const opossum::LockTimeoutError&) {
      waiterTimedOut = true;
    }
  });
  std::this_thread::sleep_for(100ms);  // the waiter now holds a descriptor of the old file
  REQUIRE(fs->remove(path));
  auto third = fs->lock(path, 0ms, {});  // a new file: free
  first.reset();                         // the waiter may take the old, unlinked file
  waiter.join();
  CHECK_FALSE(waiterGotIt);
  CHECK(waiterTimedOut);
}

TEST_CASE("a lock excludes another process", "[fs][lock]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / "l";

  {
    auto held = fs->lock(path, 1000ms, {});
    pid_t child = opossum::test::forkChild([&] {
      try {
        opossum::sdk::posixFileSystem()->lock(path, 100ms, {});
        return 1;
      } catch (const opossum::LockTimeoutError&) {
        return 0;
      }
    });
    CHECK(opossum::test::waitChild(child) == 0);
  }

  // Released: the child gets it now.
  pid_t child = opossum::test::forkChild([&] {
    auto lock = opossum::sdk::posixFileSystem()->lock(path, 1000ms, {});
    return lock ? 0 : 1;
  });
  CHECK(opossum::test::waitChild(child) == 0);

  // A child holding the lock keeps the parent out until it exits.
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  child = opossum::test::forkChild([&] {
    auto lock = opossum::sdk::posixFileSystem()->lock(path, 1000ms, {});
    char byte = 'x';
    if (::write(ready[1], &byte, 1) != 1) return 2;
    std::this_thread::sleep_for(300ms);
    return 0;
  });
  ::close(ready[1]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  ::close(ready[0]);
  CHECK_THROWS_AS(fs->lock(path, 50ms, {}), opossum::LockTimeoutError);
  CHECK(fs->lock(path, 5000ms, {}) != nullptr);  // granted once the child exits
  CHECK(opossum::test::waitChild(child) == 0);
}

TEST_CASE("a forked child does not inherit the parent's idle lock files", "[fs][lock]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto path = dir / "l";
  fs->lock(path, 1000ms, {}).reset();  // its descriptor is now idle, kept for the next lock
  pid_t child = opossum::test::forkChild([&] {
    std::this_thread::sleep_for(300ms);  // the parent holds the lock by now
    try {
      opossum::sdk::posixFileSystem()->lock(path, 100ms, {});
      return 1;  // shared the parent's descriptor: both would hold the lock
    } catch (const opossum::LockTimeoutError&) {
      return 0;
    }
  });
  auto held = fs->lock(path, 1000ms, {});  // takes the idle descriptor
  CHECK(opossum::test::waitChild(child) == 0);
}

TEST_CASE("lock files kept open between locks stay few", "[fs][lock]") {
  TempDir dir;
  auto fs = opossum::sdk::posixFileSystem();
  auto openDescriptors = [] {
    return std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                         std::filesystem::directory_iterator{});
  };
  for (int i = 0; i < 20; ++i) fs->lock(dir / ("warm" + std::to_string(i)), 1000ms, {});
  const auto before = openDescriptors();
  for (int i = 0; i < 200; ++i) fs->lock(dir / ("l" + std::to_string(i)), 1000ms, {});
  CHECK(openDescriptors() - before <= 0);  // the idle set is bounded, and was full already
  // Two holders of one path each have their own descriptor, and both are reused afterwards.
  {
    auto first = fs->lock(dir / "a", 1000ms, {});
    CHECK_THROWS_AS(fs->lock(dir / "a", 0ms, {}), opossum::LockTimeoutError);
  }
  CHECK(fs->lock(dir / "a", 0ms, {}) != nullptr);
}
