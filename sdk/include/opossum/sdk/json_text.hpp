// JSON text as the store keeps it.
#pragma once

#include <string>
#include <string_view>

#include "opossum/export.hpp"

namespace opossum::sdk {

// The compact form of one JSON value, numbers kept exactly as written; InvalidArgumentError
// naming `what` when `json` is not exactly one valid JSON value or nests deeper than
// kMaxNestingDepth.
OPOSSUM_EXPORT std::string compactJson(std::string_view json, const std::string& what);

}  // namespace opossum::sdk
