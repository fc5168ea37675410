// A fresh directory under the system temp folder, removed (with its write-protected files) when
// the object goes away.
#pragma once

#include <filesystem>
#include <string>

namespace opossum::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// The in-tree plugin folder of the build.
std::filesystem::path pluginDir();

}  // namespace opossum::test
