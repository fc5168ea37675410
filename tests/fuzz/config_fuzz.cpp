// Config files (JSON, INI, XML): any content either loads or gives a ConfigError. The first byte
// picks the format (the extension of the file the rest is written to).
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fuzz_support.hpp"
#include "opossum/config.hpp"
#include "opossum/errors.hpp"

namespace {

// One folder per process, so parallel fuzzing jobs do not share files.
const std::filesystem::path& folder() {
  static const std::filesystem::path dir = [] {
    auto path = std::filesystem::temp_directory_path() /
                ("opossum-config-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const char* const kExtensions[] = {".json", ".ini", ".xml"};
  const std::filesystem::path file = folder() / (std::string("opossum") + kExtensions[data[0] % 3]);
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  try {
    opossum::loadConfig(file);
  } catch (const opossum::ConfigError&) {
  }
  return 0;
}
