// File names of projection data: derived from projection names, keys and tags so that two
// different ones never share a file, also on case-insensitive file systems (the idea of the tag
// index's file names, kept in the kernel because plugins and kernel share no code).
#pragma once

#include <string>
#include <string_view>

#include "opossum/types.hpp"

namespace opossum::detail {

// Encoded names longer than this are shortened to a readable prefix plus a SHA-256.
inline constexpr std::size_t kMaxProjectionFileStem = 200;

// Percent-encodes every byte outside [a-z0-9_-] (uppercase hex): injective, never contains '.',
// '=' or '~', and differs from any other result in more than letter case.
std::string encodeFileName(std::string_view raw);

// A file name stem: encodeFileName(raw), or when longer than kMaxProjectionFileStem a prefix of
// it, '~' and the SHA-256 of the whole encoded name.
std::string fileStem(std::string_view raw);

// The stem of a tag's folder: key and value encoded apart, joined by '='.
std::string tagStem(const Tag& tag);

// SHA-256 (FIPS 180-4) of `data` as 64 lowercase hex digits.
std::string sha256Hex(std::string_view data);

}  // namespace opossum::detail
