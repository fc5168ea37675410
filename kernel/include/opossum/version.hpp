#pragma once

#include "opossum/export.hpp"

#define OPOSSUM_VERSION_STRING "0.1.0"

namespace opossum {

// The version of the kernel library the application runs with.
OPOSSUM_EXPORT const char* version() noexcept;

}  // namespace opossum
