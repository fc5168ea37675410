// Helpers shared by the fuzz targets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "opossum/sdk/file_system.hpp"

namespace opossum::fuzz {

inline std::string_view bytesOf(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A broken property: abort, so libFuzzer saves the input as a crash.
[[noreturn]] inline void violated(const char* what) {
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

// A file held in memory, so targets that read through sdk::FileSystem touch no disk.
class MemoryFile : public sdk::ReadableFile {
 public:
  MemoryFile(std::string content, sdk::fs::path path)
      : content_(std::move(content)), path_(std::move(path)) {}
  std::string readAt(std::uint64_t offset, std::size_t length) override {
    if (offset >= content_.size()) return {};
    return content_.substr(static_cast<std::size_t>(offset), length);
  }
  std::uint64_t size() override { return content_.size(); }
  const sdk::fs::path& path() const override { return path_; }
  bool replaced() override { return false; }

 private:
  std::string content_;
  sdk::fs::path path_;
};

// The POSIX file system, except that `path` reads as `content` from memory.
class MemoryFileSystem : public sdk::FileSystemWrapper {
 public:
  MemoryFileSystem(sdk::fs::path path, std::string content)
      : FileSystemWrapper(sdk::posixFileSystem()),
        path_(std::move(path)),
        content_(std::move(content)) {}
  std::unique_ptr<sdk::ReadableFile> openReadable(const sdk::fs::path& path) override {
    if (path != path_) return FileSystemWrapper::openReadable(path);
    return std::make_unique<MemoryFile>(content_, path_);
  }
  std::optional<std::string> readFile(const sdk::fs::path& path) override {
    if (path != path_) return FileSystemWrapper::readFile(path);
    return content_;
  }

 private:
  sdk::fs::path path_;
  std::string content_;
};

}  // namespace opossum::fuzz
