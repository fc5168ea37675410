// The store's cross-process locks. Each is a lock file (what the layout names and a timeout
// reports) held together with the folder it guards, which is what excludes: a lock file an
// operator deleted while it was held excludes nobody afterwards, and a new one would let two
// writers in at once, whereas a folder holding data is not deleted by accident.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <stop_token>

#include "opossum/sdk/file_system.hpp"

namespace opossum::plugins::file_storage {

std::unique_ptr<sdk::FileLock> lockGuarded(sdk::FileSystem& files,
                                           const std::filesystem::path& lockFile,
                                           const std::filesystem::path& folder,
                                           std::chrono::milliseconds timeout,
                                           std::stop_token cancel);

// .store.lock with the store folder: commits, recovery, deleteStore, maintenance.
std::unique_ptr<sdk::FileLock> lockStoreFolder(sdk::FileSystem& files,
                                               const std::filesystem::path& storeDirectory,
                                               std::chrono::milliseconds timeout,
                                               std::stop_token cancel);
// .materialize.lock with events/ (created when missing): writing event files from the journal.
std::unique_ptr<sdk::FileLock> lockEventsFolder(sdk::FileSystem& files,
                                                const std::filesystem::path& storeDirectory,
                                                std::chrono::milliseconds timeout,
                                                std::stop_token cancel);

}  // namespace opossum::plugins::file_storage
