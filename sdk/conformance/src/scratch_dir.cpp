#include "scratch_dir.hpp"

#include <stdlib.h>

#include <stdexcept>
#include <system_error>

namespace opossum::sdk::conformance::detail {

namespace fs = std::filesystem;

ScratchDir::ScratchDir(const std::string& suite) {
  std::string pattern =
      (fs::temp_directory_path() / ("opossum-" + suite + "-suite-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path_, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(path_, ec);
}

}  // namespace opossum::sdk::conformance::detail
