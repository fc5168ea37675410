// SHA-256 (FIPS 180-4), used to shorten index file names that would be too long.
#pragma once

#include <string>
#include <string_view>

namespace opossum::plugins::tag_index {

// The digest of `data` as 64 lowercase hex digits.
std::string sha256Hex(std::string_view data);

}  // namespace opossum::plugins::tag_index
