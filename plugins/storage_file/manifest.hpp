// manifest.json: the storage, serializer and index formats that wrote a store, so that a store is
// never read or written with other formats (LevelDB's comparator name).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "opossum/sdk/storage.hpp"

namespace opossum::plugins::file_storage {

inline constexpr const char* kStorageName = "file-per-event";
inline constexpr int kStorageVersion = 1;

// Each part as "<name> version <n>".
struct Manifest {
  std::string storage, serializer, index;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

// What a store made with `context`'s serializer and index records.
Manifest expectedManifest(const sdk::StorageContext& context);
std::string manifestText(const sdk::StorageContext& context);
// CorruptionError naming `path` when `text` is not a manifest (a part missing reads as "").
Manifest parseManifest(std::string_view text, const std::filesystem::path& path);

}  // namespace opossum::plugins::file_storage
