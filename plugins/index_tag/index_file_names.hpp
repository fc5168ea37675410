// Names and header lines of the index files. A name is derived from the full event type or tag so
// that two different types or tags never share a file, also on case-insensitive file systems.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "opossum/types.hpp"

namespace opossum::plugins::tag_index {

inline constexpr std::string_view kFormatName = "opossum-tag-index";
inline constexpr int kFormatVersion = 2;

// File names come from sdk::fileStem and sdk::tagFileStem (opossum/sdk/file_names.hpp).
// Paths relative to the index folder.
std::filesystem::path typeFilePath(std::string_view eventType);
std::filesystem::path tagFilePath(const Tag& tag);
inline const std::filesystem::path kTypesFolder = "event-types";
inline const std::filesystem::path kTagsFolder = "tags";
// Where materialize() writes a new posting file before renaming it into its folder.
inline const std::filesystem::path kStagingFolder = ".staging";
inline const std::filesystem::path kPositionsFile = "positions/positions.log";
// How far the posting files are written (mark_file.hpp).
inline const std::filesystem::path kMarkFile = "positions/posted.mark";
// Present when a recovery asked the next materialize() to check every posting file.
inline const std::filesystem::path kScanRequestFile = "positions/scan.request";

// First lines (with '\n') of the files; they name the format and the full type or tag.
std::string typeHeader(std::string_view eventType);
std::string tagHeader(const Tag& tag);
std::string positionsHeader();

}  // namespace opossum::plugins::tag_index
