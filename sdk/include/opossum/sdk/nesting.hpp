// Nesting limits for trees parsed from input or disk. The parsers (RapidJSON's DOM, libcbor's
// items, Boost.PropertyTree) recurse once per level while parsing, copying or destroying a tree,
// so a hostile or damaged file nested deeply enough would overflow the stack; a cheap scan of the
// bytes refuses it first.
#pragma once

#include <cstddef>
#include <string_view>

#include "opossum/export.hpp"

namespace opossum::sdk {

// The deepest nesting of arrays and objects accepted in an event payload, a config file or any
// other tree read by the store. An event payload `{}` has depth 1.
inline constexpr std::size_t kMaxNestingDepth = 512;

// Whether JSON text opens more than `limit` arrays and objects inside one another. Brackets
// inside strings do not count; the text is not validated (a parser does that after).
OPOSSUM_EXPORT bool jsonNestsDeeperThan(std::string_view text, std::size_t limit) noexcept;

}  // namespace opossum::sdk
