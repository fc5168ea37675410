#include "machine_info.hpp"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdint>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

namespace opossum::bench {
namespace fs = std::filesystem;

namespace {

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string memoryTotal() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  while (in >> key >> kib) {
    if (key == "MemTotal:") return std::to_string(kib / 1024) + " MiB";
    in.ignore(256, '\n');
  }
  return "unknown";
}

std::string fsTypeName(long type) {
  switch (static_cast<unsigned long>(type)) {
    case 0xEF53:
      return "ext2/3/4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs";
    case 0x794C7630:
      return "overlayfs";
    case 0x6969:
      return "nfs";
    case 0xF2F52010:
      return "f2fs";
    case 0x2FC12FC1:
      return "zfs";
    default: {
      std::ostringstream s;
      s << "0x" << std::hex << type;
      return s.str();
    }
  }
}

struct Mount {
  std::string device, point, type, options;
};

// The /proc/mounts entry with the longest mount point that contains `path`.
Mount mountOf(const fs::path& path) {
  std::ifstream in("/proc/mounts");
  Mount best, m;
  const std::string p = path.string();
  while (in >> m.device >> m.point >> m.type >> m.options) {
    in.ignore(4096, '\n');
    const bool contains =
        p == m.point || m.point == "/" ||
        (p.rfind(m.point, 0) == 0 && p.size() > m.point.size() && p[m.point.size()] == '/');
    if (contains && m.point.size() >= best.point.size()) best = m;
  }
  return best;
}

// ext4 keeps its journal in jbd2, which lists every journaled device in /proc/fs/jbd2.
std::string ext4Journal(const std::string& device) {
  const std::string name = fs::path(device).filename().string();
  std::error_code ec;
  if (!fs::exists("/proc/fs/ext4/" + name, ec)) return "";
  for (const auto& entry : fs::directory_iterator("/proc/fs/jbd2", ec)) {
    if (entry.path().filename().string().rfind(name + "-", 0) == 0) return ", journal on";
  }
  return ", no journal";
}

}  // namespace

MachineInfo describeMachine(const fs::path& dir) {
  MachineInfo info;
  const std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
  info.emplace_back("date", date);

  utsname u{};
  if (uname(&u) == 0)
    info.emplace_back("host", std::string(u.sysname) + " " + u.release + " " + u.machine);
  info.emplace_back("cores", std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " online (" +
                                 std::to_string(std::thread::hardware_concurrency()) +
                                 " usable), " + cpuModel());
  info.emplace_back("memory", memoryTotal());

  std::error_code ec;
  const fs::path canonical = fs::canonical(dir, ec);
  const Mount m = mountOf(ec ? dir : canonical);
  struct statfs s {};
  std::string fsLine = "unknown";
  if (statfs(dir.c_str(), &s) == 0) {
    fsLine = m.type.empty() ? fsTypeName(s.f_type) : m.type;
    if (m.type == "ext4") fsLine += ext4Journal(m.device);
    fsLine += ", on " + m.device + " mounted at " + m.point + " (" + m.options + "), " +
              std::to_string(static_cast<std::uint64_t>(s.f_bavail) * s.f_bsize >> 30) +
              " GiB free";
  }
  info.emplace_back("dir", dir.string());
  info.emplace_back("file system", fsLine);
#ifdef NDEBUG
  info.emplace_back("build", std::string("g++ ") + __VERSION__ + ", optimized (NDEBUG)");
#else
  info.emplace_back("build", std::string("g++ ") + __VERSION__ + ", assertions on (not NDEBUG)");
#endif
  return info;
}

std::uint64_t diskUsage(const fs::path& dir) {
  std::uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0)
      bytes += static_cast<std::uint64_t>(st.st_blocks) * 512;
  }
  return bytes;
}

}  // namespace opossum::bench
