// UTF-8 validation shared by the kernel and the serializers: well-formed sequences only (no
// overlong forms, no surrogates, nothing past U+10FFFF).
#pragma once

#include <string_view>

#include "opossum/export.hpp"

namespace opossum::sdk {

OPOSSUM_EXPORT bool isValidUtf8(std::string_view text) noexcept;

}  // namespace opossum::sdk
