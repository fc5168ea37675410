// The shared kernel library: the engine (opossum_engine) linked whole, so its exported API is
// in libopossum.so. This file holds the library's version.
#include "opossum/version.hpp"

namespace opossum {

const char* version() noexcept { return OPOSSUM_VERSION_STRING; }

}  // namespace opossum
