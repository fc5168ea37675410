// File names derived from arbitrary strings (event types, tags, projection keys), shared by the
// tag index and the projection stores. Names are injective and stay distinct on case-insensitive
// file systems; long ones are shortened with a SHA-256, so every file must also record the full
// string it stands for.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "opossum/export.hpp"
#include "opossum/types.hpp"

namespace opossum::sdk {

// Encoded names longer than this are shortened to a readable prefix plus a SHA-256.
inline constexpr std::size_t kMaxFileStem = 200;

// Percent-encodes every byte outside [a-z0-9_-] (uppercase hex), so the result is injective,
// never contains '=', '.' or '~', and differs from any other result in more than letter case.
OPOSSUM_EXPORT std::string encodeFileName(std::string_view raw);
// `encoded`, or when longer than kMaxFileStem its first 120 characters (never cutting a %XX
// triple), '~' and the SHA-256 of the whole of it.
OPOSSUM_EXPORT std::string shortenFileName(const std::string& encoded);
// shortenFileName(encodeFileName(raw)).
OPOSSUM_EXPORT std::string fileStem(std::string_view raw);
// The stem of a tag: key and value encoded and joined by '=' (which encoding never produces).
OPOSSUM_EXPORT std::string tagFileStem(const Tag& tag);
// SHA-256 (FIPS 180-4) of `data` as 64 lowercase hex digits.
OPOSSUM_EXPORT std::string sha256Hex(std::string_view data);

}  // namespace opossum::sdk
