// Semantic comparison of JSON texts for the suites: members in order, numbers by value and kind.
#pragma once

#include <string>
#include <string_view>

namespace opossum::sdk::conformance::detail {

// "" when `expected` and `actual` are the same JSON value: same members in the same order, equal
// strings, numbers equal in value and kind (integer or floating point). Otherwise says where
// they differ (a JSON pointer) or which text is not JSON. Whitespace does not matter.
std::string jsonDifference(std::string_view expected, std::string_view actual);

}  // namespace opossum::sdk::conformance::detail
