// The names of a file-per-event store's files (README.md, "Layout").
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "opossum/types.hpp"

namespace opossum::plugins::file_storage {

inline constexpr const char* kLedgerFile = "ledger.json";
inline constexpr const char* kJournalFile = "journal.log";
inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kEventsFolder = "events";
inline constexpr const char* kIndexFolder = "indices";
inline constexpr const char* kStoreLockFile = ".store.lock";
inline constexpr const char* kMaterializeLockFile = ".materialize.lock";
// Written first by deleteStore: events without a ledger beside it are what a deletion left.
inline constexpr const char* kDeletingMarker = ".deleting";
// Where `opossum recover` moves damaged files, one folder per run.
inline constexpr const char* kDamagedFolder = "damaged";

// "000000042.json": nine digits at least, then the serializer's extension.
std::string eventFileName(Position position, std::string_view extension);

// The position an event file's name gives, when it is a name eventFileName() makes.
std::optional<Position> eventFilePosition(std::string_view name, std::string_view extension);

}  // namespace opossum::plugins::file_storage
