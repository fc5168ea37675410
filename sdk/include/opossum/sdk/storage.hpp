// Storage plugins keep the events of one store. The interface is at the level of the DCB
// operations, so a file engine (checking conditions through an index under a lock) and a database
// engine (checking them natively inside its own transaction) both fit.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "opossum/query.hpp"
#include "opossum/sdk/capability.hpp"
#include "opossum/sdk/file_system.hpp"
#include "opossum/sdk/index.hpp"
#include "opossum/sdk/logger.hpp"
#include "opossum/sdk/options.hpp"
#include "opossum/sdk/serializer.hpp"
#include "opossum/types.hpp"

namespace opossum::sdk {

// One caller's append: validated by the kernel, timestamps already stamped.
struct AppendRequest {
  const std::vector<NewEvent>* events = nullptr;
  const AppendCondition* condition = nullptr;  // null: unconditional
};

struct AppendResult {
  bool committed = false;
  Position lastPosition = 0;  // when committed
  std::string conflict;       // when not: what matched, for the AppendConditionFailedError
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Commits the requests in order as one unit of durability (group commit). Each request's
  // condition is checked against the store and the requests before it; a rejected request does
  // not affect the others. Errors that concern every request (lock timeout, I/O) are thrown.
  virtual std::vector<AppendResult> append(std::span<const AppendRequest> requests,
                                           std::stop_token cancel) = 0;
  virtual std::vector<SequencedEvent> read(const Query& query, const ReadOptions& options) = 0;
  virtual std::optional<SequencedEvent> readLast(const Query& query) = 0;
  // The last committed position (0 when empty).
  virtual Position head() = 0;
  // Removes every event and index; afterwards the next position is 1 for every user.
  virtual void deleteStore(std::stop_token cancel) = 0;
  // Adds the tags `tagFactory` returns to every event of `eventType`, skipping tags whose key the
  // event already has. Crash-safe: each event ends up with all or none of its new tags, and the
  // index agrees. The kernel validates the factory's tags before they reach the storage.
  virtual TagMigrationResult addTags(
      const std::string& eventType,
      const std::function<std::vector<Tag>(const SequencedEvent&)>& tagFactory,
      std::stop_token cancel) = 0;

  // Minor 2: the capability `id` (capability.hpp), or nullptr when this engine lacks it.
  virtual void* capability(Capability id) {
    (void)id;
    return nullptr;
  }
};

// Minor 2: why the storage is created.
enum class StoragePurpose : std::uint32_t {
  use = 0,          // open the store for the DCB operations (created when missing)
  maintenance = 1,  // only for capability(): open nothing, create nothing, recover nothing
};

// Minor 4: the serializer and index plugins the store's config names, loaded when an engine asks
// for them. An engine that keeps events in its own format (a database) never asks, so they are
// never loaded; a file engine makes them its own parts.
class StoragePlugins {
 public:
  virtual ~StoragePlugins() = default;
  // The configured serializer: loaded on the first call, the same object after.
  virtual std::shared_ptr<Serializer> serializer() = 0;
  // A new, empty-or-existing index of the configured kind over `folder`.
  virtual std::shared_ptr<Index> index(const std::filesystem::path& folder) = 0;
};

struct StorageContext {
  std::filesystem::path storeDirectory;  // {rootPath}/{storeName}, created by the storage
  bool flushEventsImmediately = true;
  bool writeProtectEventFiles = false;
  std::chrono::milliseconds crossProcessLockTimeout{5000};
  // Set for plugins of ABI minor 3 and older only; from minor 4 on, `plugins` loads them.
  std::shared_ptr<Serializer> serializer;
  std::shared_ptr<Index> index;  // over {storeDirectory}/indices
  std::shared_ptr<FileSystem> fileSystem;
  std::shared_ptr<Logger> logger;
  PluginOptions options;
  // Minor 2 (a plugin of minor 1 is never given a context it would misread: the kernel refuses
  // maintenance with it):
  StoragePurpose purpose = StoragePurpose::use;
  // Creates an empty index of the configured kind over another folder (to rebuild one aside).
  // Minor 3 and older only, like `serializer` and `index`.
  std::function<std::shared_ptr<Index>(const std::filesystem::path&)> makeIndex;
  // Minor 4:
  std::shared_ptr<StoragePlugins> plugins;
};

}  // namespace opossum::sdk
