// A fresh temporary directory for one suite run, removed (write-protected files too) when the
// object goes away.
#pragma once

#include <filesystem>
#include <string>

namespace opossum::sdk::conformance::detail {

class ScratchDir {
 public:
  // `suite` names the directory: opossum-{suite}-suite-XXXXXX.
  explicit ScratchDir(const std::string& suite);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace opossum::sdk::conformance::detail
