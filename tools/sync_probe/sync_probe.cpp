// Measures the ways of making one append durable on the file system of a folder, to choose the
// storage engine's commit path by measurement: a sync per event file (with its directory), syncfs,
// and one journal record per commit (growing file vs preallocated file), and what a stat of the
// journal between commits costs.
//
//   opossum_sync_probe [--dir DIR] [--count N]
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::perror(what);
    std::exit(1);
  }
}

void writeAll(int fd, const std::string& data, off_t offset = -1) {
  ssize_t n = offset < 0 ? ::write(fd, data.data(), data.size())
                         : ::pwrite(fd, data.data(), data.size(), offset);
  check(n == static_cast<ssize_t>(data.size()), "write");
}

void fsyncPath(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  check(fd >= 0, "open dir");
  check(::fsync(fd) == 0, "fsync dir");
  ::close(fd);
}

struct Result {
  double perSecond;
  double p50us;
  double p99us;
};

// Runs `op(i)` count times; each call is one durable append.
Result measure(int count, const std::function<void(int)>& op) {
  std::vector<double> us;
  us.reserve(count);
  auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    auto t0 = Clock::now();
    op(i);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(us.begin(), us.end());
  return {count / seconds, us[us.size() / 2], us[us.size() * 99 / 100]};
}

void print(const char* name, const Result& r) {
  std::printf("%-64s %10.0f/s   p50 %7.0f us   p99 %7.0f us\n", name, r.perSecond, r.p50us,
              r.p99us);
}

}  // namespace

int main(int argc, char** argv) {
  fs::path base = fs::temp_directory_path();
  int count = 1000;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--dir" && i + 1 < argc) {
      base = argv[++i];
    } else if (arg == "--count" && i + 1 < argc) {
      count = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--dir DIR] [--count N]\n", argv[0]);
      return 2;
    }
  }
  std::string pattern = (base / "opossum-sync-probe-XXXXXX").string();
  check(::mkdtemp(pattern.data()) != nullptr, "mkdtemp");
  fs::path dir = pattern;
  const std::string event(300, 'x');  // a typical event file
  std::printf("durable single appends in %s (%d each, ~300-byte events)\n\n", dir.c_str(), count);

  fs::create_directories(dir / "a");
  print("event file: write + fdatasync file + fsync directory", measure(count, [&](int i) {
          fs::path p = dir / "a" / (std::to_string(i) + ".json");
          int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
          check(fd >= 0, "open");
          writeAll(fd, event);
          check(::fdatasync(fd) == 0, "fdatasync");
          ::close(fd);
          fsyncPath(dir / "a");
        }));

  fs::create_directories(dir / "b");
  int dirFd = ::open((dir / "b").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  print("event file: write, then one syncfs", measure(count, [&](int i) {
          fs::path p = dir / "b" / (std::to_string(i) + ".json");
          int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
          check(fd >= 0, "open");
          writeAll(fd, event);
          ::close(fd);
          check(::syncfs(dirFd) == 0, "syncfs");
        }));

  int grow = ::open((dir / "growing.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  check(grow >= 0, "open");
  print("journal, growing file: append + fdatasync", measure(count, [&](int) {
          writeAll(grow, event);
          check(::fdatasync(grow) == 0, "fdatasync");
        }));

  int pre = ::open((dir / "prealloc.log").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  check(pre >= 0, "open");
  {
    std::string zeros(1 << 20, '\0');
    for (int mb = 0; mb < 4; ++mb) writeAll(pre, zeros);
    check(::fsync(pre) == 0, "fsync");
  }
  print("journal, preallocated with zeros: pwrite + fdatasync", measure(count, [&](int i) {
          writeAll(pre, event, static_cast<off_t>(i) * 512 % (4 << 20));
          check(::fdatasync(pre) == 0, "fdatasync");
        }));

  // Reading a file's times (stat) makes Linux 6.13+ stamp its next write with a fine-grained
  // time, so every write dirties the inode and every fdatasync also writes the inode table.
  print("journal preallocated: pwrite + fdatasync + fstat (reads times)",
        measure(count, [&](int i) {
          writeAll(pre, event, static_cast<off_t>(i) * 512 % (4 << 20));
          check(::fdatasync(pre) == 0, "fdatasync");
          struct stat st;
          check(::fstat(pre, &st) == 0, "fstat");
        }));
  print("journal preallocated: pwrite + fdatasync + statx of the size", measure(count, [&](int i) {
          writeAll(pre, event, static_cast<off_t>(i) * 512 % (4 << 20));
          check(::fdatasync(pre) == 0, "fdatasync");
          struct statx st;
          check(::statx(pre, "", AT_EMPTY_PATH, STATX_SIZE, &st) == 0, "statx");
        }));

  fs::create_directories(dir / "c");
  print("journal preallocated + event file written without sync", measure(count, [&](int i) {
          writeAll(pre, event, static_cast<off_t>(i) * 512 % (4 << 20));
          check(::fdatasync(pre) == 0, "fdatasync");
          fs::path p = dir / "c" / (std::to_string(i) + ".json");
          int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
          check(fd >= 0, "open");
          writeAll(fd, event);
          ::close(fd);
        }));

  ::close(dirFd);
  ::close(grow);
  ::close(pre);
  fs::remove_all(dir);
  return 0;
}
