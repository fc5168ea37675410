#include "power_loss_file_system.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "opossum/errors.hpp"

namespace opossum::test {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kSector = 512;

fs::path parentKey(const fs::path& key) {
  fs::path parent = key.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

bool isUnder(const fs::path& path, const fs::path& top) {
  const std::string p = path.generic_string(), t = top.generic_string();
  return p == t || (p.size() > t.size() && p.compare(0, t.size(), t) == 0 && p[t.size()] == '/');
}

void applyWrite(std::string& content, std::uint64_t offset, std::string_view data) {
  if (content.size() < offset + data.size()) content.resize(offset + data.size(), '\0');
  content.replace(offset, data.size(), data);
}

}  // namespace

const char* variantName(CrashVariant variant) {
  switch (variant) {
    case CrashVariant::dropUnsynced:
      return "unsynced data dropped";
    case CrashVariant::tornUnsynced:
      return "unsynced data torn";
    case CrashVariant::keepUnsynced:
      return "unsynced data kept";
    case CrashVariant::namesKept:
      return "names kept, unsynced data dropped";
  }
  return "?";
}

namespace {

class NoSyncFile : public sdk::WritableFile {
 public:
  explicit NoSyncFile(std::unique_ptr<sdk::WritableFile> inner) : inner_(std::move(inner)) {}
  void append(std::string_view data) override { inner_->append(data); }
  void writeAt(std::uint64_t offset, std::string_view data) override {
    inner_->writeAt(offset, data);
  }
  void sync() override {}
  void truncate(std::uint64_t size) override { inner_->truncate(size); }
  std::uint64_t size() override { return inner_->size(); }
  const fs::path& path() const override { return inner_->path(); }

 private:
  std::unique_ptr<sdk::WritableFile> inner_;
};

}  // namespace

NoSyncFileSystem::NoSyncFileSystem(std::shared_ptr<sdk::FileSystem> target)
    : FileSystemWrapper(std::move(target)) {}

std::unique_ptr<sdk::WritableFile> NoSyncFileSystem::openWritable(const fs::path& path,
                                                                  sdk::OpenMode mode) {
  return std::make_unique<NoSyncFile>(target().openWritable(path, mode));
}

void NoSyncFileSystem::replaceFile(const fs::path& path, std::string_view data, bool) {
  target().replaceFile(path, data, false);
}

// Forwards to the real file and records each change in the model.
class PowerLossFileSystem::File : public sdk::WritableFile {
 public:
  File(PowerLossFileSystem& owner, std::unique_ptr<sdk::WritableFile> inner, int inode)
      : owner_(owner), inner_(std::move(inner)), inode_(inode) {}

  void append(std::string_view data) override {
    std::lock_guard guard(owner_.mutex_);
    write(owner_.inodes_[inode_].live.size(), data, true);
  }
  void writeAt(std::uint64_t offset, std::string_view data) override {
    std::lock_guard guard(owner_.mutex_);
    write(offset, data, false);
  }
  void sync() override {
    std::lock_guard guard(owner_.mutex_);
    owner_.beforeSync("sync " + path().filename().string());
    try {
      if (owner_.maybeFail(FaultKind::sync, path(), "cannot sync")) {
        owner_.inodes_[inode_].pending.clear();
        return;
      }
    } catch (...) {
      // Linux drops the dirty pages a failed writeback could not write: they never reach the
      // disk, though readers still see them in the page cache.
      owner_.inodes_[inode_].pending.clear();
      throw;
    }
    inner_->sync();
    owner_.syncInode(inode_);
  }
  void truncate(std::uint64_t size) override {
    std::lock_guard guard(owner_.mutex_);
    owner_.maybeFail(FaultKind::write, path(), "cannot truncate");
    inner_->truncate(size);
    owner_.recordTruncate(inode_, size);
  }
  std::uint64_t size() override { return inner_->size(); }
  const fs::path& path() const override { return inner_->path(); }

 private:
  void write(std::uint64_t offset, std::string_view data, bool append) {
    std::size_t keep = data.size();
    try {
      owner_.maybeFail(FaultKind::write, path(), "cannot write", &keep);
    } catch (...) {
      // A disk that fills up mid-write keeps what fitted.
      if (keep > 0 && keep < data.size()) write(offset, data.substr(0, keep), append);
      throw;
    }
    if (append) {
      inner_->append(data);
    } else {
      inner_->writeAt(offset, data);
    }
    owner_.recordWrite(inode_, offset, data);
  }

  PowerLossFileSystem& owner_;
  std::unique_ptr<sdk::WritableFile> inner_;
  int inode_;
};

PowerLossFileSystem::PowerLossFileSystem(fs::path root, std::shared_ptr<sdk::FileSystem> target)
    : FileSystemWrapper(std::move(target)), root_(fs::absolute(root).lexically_normal()) {
  if (!root_.has_filename()) root_ = root_.parent_path();
  if (!fs::exists(root_)) return;
  for (const auto& entry : fs::recursive_directory_iterator(root_)) {
    fs::path k = entry.path().lexically_relative(root_);
    if (entry.is_directory()) {
      liveDirs_.insert(k);
      durableDirs_.insert(k);
    } else if (entry.is_regular_file()) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream content;
      content << in.rdbuf();
      int id = newInode(content.str(), true);
      liveFiles_[k] = id;
      durableFiles_[k] = id;
    }
  }
}

void PowerLossFileSystem::setSyncHook(std::function<void(const std::string&)> hook) {
  std::lock_guard guard(mutex_);
  hook_ = std::move(hook);
}

fs::path PowerLossFileSystem::key(const fs::path& path) const {
  fs::path normal = fs::absolute(path).lexically_normal();
  if (!isUnder(normal, root_)) return {};
  return normal.lexically_relative(root_);
}

bool PowerLossFileSystem::modelled(const fs::path& key) const { return !key.empty(); }

int PowerLossFileSystem::newInode(std::string content, bool durable) {
  Inode inode;
  inode.live = std::move(content);
  if (durable) {
    inode.durable = inode.live;
  } else if (!inode.live.empty()) {
    inode.pending.push_back({false, 0, inode.live});
  }
  inodes_[nextInode_] = std::move(inode);
  return nextInode_++;
}

void PowerLossFileSystem::recordWrite(int id, std::uint64_t offset, std::string_view data) {
  auto& inode = inodes_[id];
  applyWrite(inode.live, offset, data);
  inode.pending.push_back({false, offset, std::string(data)});
}

void PowerLossFileSystem::recordTruncate(int id, std::uint64_t size) {
  auto& inode = inodes_[id];
  inode.live.resize(size, '\0');
  inode.pending.push_back({true, size, {}});
}

void PowerLossFileSystem::syncInode(int id) {
  if (ignoreSyncs_) return;
  auto& inode = inodes_[id];
  for (const auto& change : inode.pending) {
    if (change.truncate) {
      inode.durable.resize(change.offset, '\0');
    } else {
      applyWrite(inode.durable, change.offset, change.data);
    }
  }
  inode.pending.clear();
}

void PowerLossFileSystem::armFault(FaultKind kind, std::size_t nth, int error) {
  std::lock_guard guard(mutex_);
  faultKind_ = kind;
  faultAt_ = (kind == FaultKind::write ? writes_.load() : syncs_.load()) + nth;
  faultError_ = error;
  fired_ = false;
  firedAt_.clear();
}

std::string PowerLossFileSystem::faultDescription() const {
  std::lock_guard guard(mutex_);
  return firedAt_;
}

bool PowerLossFileSystem::maybeFail(FaultKind kind, const fs::path& path, const char* what,
                                    std::size_t* keepBytes) {
  std::size_t n = kind == FaultKind::write ? writes_++ : syncs_++;
  if (!faultKind_ || *faultKind_ != kind || n != faultAt_) return false;
  faultKind_.reset();
  fired_ = true;
  std::ostringstream where;
  where << what << " " << path.lexically_relative(root_).string() << " ("
        << (faultError_ == ENOSPC        ? "ENOSPC"
            : faultError_ == EIO         ? "EIO"
            : faultError_ == kSilentSync ? "silently not synced"
                                         : "not an IoError")
        << ")";
  firedAt_ = where.str();
  if (faultError_ == kSilentSync) return kind == FaultKind::sync;
  if (faultError_ == kNotIoError) throw std::runtime_error(std::string(what) + " (injected)");
  if (keepBytes) *keepBytes = faultError_ == ENOSPC ? *keepBytes / 2 : 0;
  throwIoError(std::string(what) + " (injected fault)", path.string(), faultError_);
}

void PowerLossFileSystem::beforeSync(const std::string& what) {
  if (hook_) hook_(what);
}

std::unique_ptr<sdk::WritableFile> PowerLossFileSystem::openWritable(const fs::path& path,
                                                                     sdk::OpenMode mode) {
  std::lock_guard guard(mutex_);
  maybeFail(FaultKind::write, path, "cannot open");
  auto inner = target().openWritable(path, mode);
  fs::path k = key(path);
  auto it = liveFiles_.find(k);
  int id = 0;
  if (it == liveFiles_.end() || mode == sdk::OpenMode::exclusive) {
    id = newInode({}, false);
    if (modelled(k)) liveFiles_[k] = id;
  } else {
    id = it->second;
    if (mode == sdk::OpenMode::truncate) recordTruncate(id, 0);
  }
  return std::make_unique<File>(*this, std::move(inner), id);
}

void PowerLossFileSystem::replaceFile(const fs::path& path, std::string_view data, bool sync) {
  std::lock_guard guard(mutex_);
  maybeFail(FaultKind::write, path, "cannot write");
  if (sync) {
    beforeSync("replaceFile " + path.filename().string());
    if (maybeFail(FaultKind::sync, path, "cannot sync")) sync = false;
  }
  target().replaceFile(path, data, sync);
  fs::path k = key(path);
  if (!modelled(k)) return;
  // The new file is synced before it is renamed over the old one, then its folder is synced.
  int id = newInode(std::string(data), sync && !ignoreSyncs_);
  liveFiles_[k] = id;
  if (sync && !ignoreSyncs_) durableFiles_[k] = id;
}

void PowerLossFileSystem::rename(const fs::path& from, const fs::path& to) {
  std::lock_guard guard(mutex_);
  target().rename(from, to);
  fs::path f = key(from), t = key(to);
  if (!modelled(f) || !modelled(t)) return;
  // Where an entry at or below `from` goes ("a/b/." would normalise to "a/b/", another key).
  auto moved = [&](const fs::path& k) {
    fs::path rest = k.lexically_relative(f);
    return rest == "." ? t : (t / rest).lexically_normal();
  };
  std::map<fs::path, int> movedFiles;
  for (auto it = liveFiles_.begin(); it != liveFiles_.end();) {
    if (isUnder(it->first, f)) {
      movedFiles[moved(it->first)] = it->second;
      it = liveFiles_.erase(it);
    } else {
      ++it;
    }
  }
  std::set<fs::path> movedDirs;
  for (auto it = liveDirs_.begin(); it != liveDirs_.end();) {
    if (isUnder(*it, f)) {
      movedDirs.insert(moved(*it));
      it = liveDirs_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [k, id] : movedFiles) liveFiles_[k] = id;
  liveDirs_.insert(movedDirs.begin(), movedDirs.end());
}

bool PowerLossFileSystem::remove(const fs::path& path) {
  std::lock_guard guard(mutex_);
  bool removed = target().remove(path);
  fs::path k = key(path);
  liveFiles_.erase(k);
  liveDirs_.erase(k);
  return removed;
}

void PowerLossFileSystem::removeAll(const fs::path& path) {
  std::lock_guard guard(mutex_);
  target().removeAll(path);
  fs::path k = key(path);
  if (!modelled(k)) return;
  std::erase_if(liveFiles_, [&](const auto& entry) { return isUnder(entry.first, k); });
  std::erase_if(liveDirs_, [&](const auto& dir) { return isUnder(dir, k); });
}

void PowerLossFileSystem::createDirectories(const fs::path& path) {
  std::lock_guard guard(mutex_);
  target().createDirectories(path);
  fs::path k = key(path);
  if (!modelled(k)) return;
  for (fs::path d = k; !d.empty() && d != "."; d = d.parent_path()) liveDirs_.insert(d);
}

void PowerLossFileSystem::syncDirectory(const fs::path& path) {
  std::lock_guard guard(mutex_);
  beforeSync("syncDirectory " + key(path).string());
  if (maybeFail(FaultKind::sync, path, "cannot sync directory")) return;
  target().syncDirectory(path);
  fs::path k = key(path);
  if (!modelled(k) || ignoreSyncs_) return;
  std::erase_if(durableFiles_, [&](const auto& entry) { return parentKey(entry.first) == k; });
  std::erase_if(durableDirs_, [&](const auto& dir) { return parentKey(dir) == k; });
  for (const auto& [file, id] : liveFiles_) {
    if (parentKey(file) == k) durableFiles_[file] = id;
  }
  for (const auto& dir : liveDirs_) {
    if (parentKey(dir) == k) durableDirs_.insert(dir);
  }
}

void PowerLossFileSystem::syncFileSystem(const fs::path& path) {
  std::lock_guard guard(mutex_);
  beforeSync("syncFileSystem");
  if (maybeFail(FaultKind::sync, path, "cannot sync file system")) return;
  target().syncFileSystem(path);
  if (ignoreSyncs_) return;
  for (auto& [id, inode] : inodes_) syncInode(id);
  durableFiles_ = liveFiles_;
  durableDirs_ = liveDirs_;
}

CrashImage PowerLossFileSystem::image(CrashVariant variant, std::uint64_t seed) const {
  std::lock_guard guard(mutex_);
  const bool namesKept = variant == CrashVariant::namesKept;
  const auto& files = namesKept ? liveFiles_ : durableFiles_;
  const auto& dirs = namesKept ? liveDirs_ : durableDirs_;
  auto reachable = [&](const fs::path& k) {
    for (fs::path d = k.parent_path(); !d.empty() && d != "."; d = d.parent_path()) {
      if (!dirs.count(d)) return false;
    }
    return true;
  };
  CrashImage result;
  for (const auto& dir : dirs) {
    if (reachable(dir)) result[dir] = std::nullopt;
  }
  for (const auto& [file, id] : files) {
    if (!reachable(file)) continue;
    const Inode& inode = inodes_.at(id);
    std::string content = inode.durable;
    if (variant == CrashVariant::keepUnsynced) {
      for (const auto& change : inode.pending) {
        if (change.truncate) {
          content.resize(change.offset, '\0');
        } else {
          applyWrite(content, change.offset, change.data);
        }
      }
    } else if (variant == CrashVariant::tornUnsynced) {
      std::mt19937_64 random(seed * 1000003 + static_cast<std::uint64_t>(id));
      auto coin = [&] { return (random() & 1) != 0; };
      for (const auto& change : inode.pending) {
        if (change.truncate) {
          if (coin()) content.resize(change.offset, '\0');
          continue;
        }
        const std::uint64_t begin = change.offset, end = begin + change.data.size();
        const std::uint64_t oldSize = content.size();
        std::uint64_t size = oldSize;
        if (end > oldSize) {
          switch (random() % 3) {
            case 0:
              size = end;  // the size reached the disk
              break;
            case 1:
              break;  // it did not
            default:
              size = std::min(end, (oldSize / kSector + 1 + random() % 4) * kSector);
          }
          const bool garbage = coin();
          for (std::uint64_t i = oldSize; i < size; ++i) {
            content.push_back(garbage ? static_cast<char>(random()) : '\0');
          }
        }
        // Each sector of the write reached the disk or did not.
        for (std::uint64_t s = begin / kSector * kSector; s < std::min(end, size); s += kSector) {
          if (!coin()) continue;
          const std::uint64_t from = std::max(s, begin), to = std::min({s + kSector, end, size});
          if (from >= to) continue;
          content.replace(from, to - from, change.data, from - begin, to - from);
        }
      }
    }
    result[file] = std::move(content);
  }
  return result;
}

std::vector<std::string> PowerLossFileSystem::modelDifferences() const {
  std::lock_guard guard(mutex_);
  std::vector<std::string> differences;
  std::set<fs::path> seenFiles, seenDirs;
  for (const auto& entry : fs::recursive_directory_iterator(root_)) {
    fs::path k = entry.path().lexically_relative(root_);
    const std::string name = k.filename().string();
    if (entry.is_directory()) {
      seenDirs.insert(k);
      if (!liveDirs_.count(k)) differences.push_back("folder not in the model: " + k.string());
      continue;
    }
    if (name == ".store.lock" || name == ".materialize.lock") continue;
    seenFiles.insert(k);
    auto it = liveFiles_.find(k);
    if (it == liveFiles_.end()) {
      differences.push_back("file not in the model: " + k.string());
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    if (content.str() != inodes_.at(it->second).live) {
      differences.push_back("file content differs from the model: " + k.string());
    }
  }
  for (const auto& [k, id] : liveFiles_) {
    if (!seenFiles.count(k)) differences.push_back("file only in the model: " + k.string());
  }
  for (const auto& k : liveDirs_) {
    if (!seenDirs.count(k)) differences.push_back("folder only in the model: " + k.string());
  }
  return differences;
}

void PowerLossFileSystem::layOut(const CrashImage& image, const fs::path& dir) {
  fs::create_directories(dir);
  for (const auto& [path, content] : image) {
    if (!content) {
      fs::create_directories(dir / path);
      continue;
    }
    fs::create_directories((dir / path).parent_path());
    std::ofstream out(dir / path, std::ios::binary | std::ios::trunc);
    out.write(content->data(), static_cast<std::streamsize>(content->size()));
    if (!out) throw std::runtime_error("cannot write " + (dir / path).string());
  }
}

void useMemoryTempDir() {
  std::error_code ec;
  if (fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0) {
    ::setenv("TMPDIR", "/dev/shm", 1);
  }
}

}  // namespace opossum::test
