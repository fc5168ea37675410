// Index plugins answer which positions match a query. The file storage feeds them every committed
// event (under the store lock) and asks them for positions when reading and when checking append
// conditions. A storage engine that evaluates queries itself (a database server) needs none.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "opossum/query.hpp"
#include "opossum/sdk/capability.hpp"
#include "opossum/sdk/file_system.hpp"
#include "opossum/sdk/logger.hpp"
#include "opossum/sdk/options.hpp"
#include "opossum/types.hpp"

namespace opossum::sdk {

struct IndexedEvent {
  Position position = 0;
  std::string eventType;
  std::vector<Tag> tags;
};

// Thread-safe: reads may run concurrently with one writer.
class Index {
 public:
  virtual ~Index() = default;
  virtual std::string formatName() const = 0;
  virtual int formatVersion() const = 0;

  // Positions <= head matching `query`, after `options.fromPosition`, in the requested order,
  // at most `options.maxCount`. Learns first what other processes committed up to `head`. Every
  // position <= head is committed and was given to add() before: an index that cannot find one
  // (damaged or deleted files) throws CorruptionError rather than answer without it.
  virtual std::vector<Position> positions(const Query& query, const ReadOptions& options,
                                          Position head) = 0;
  // Records committed events, in position order, continuing the head the index knows.
  // Called under the store lock, on the commit path, so it must be cheap: it makes the events
  // visible to positions() of every instance over the folder (the tag index appends them to its
  // positions log) and may leave slower work (the tag index's posting files) to materialize().
  // Files are written but not synced (the storage's commit record makes them durable).
  virtual void add(std::span<const IndexedEvent> events) = 0;
  // Writes what add() deferred, for the entries <= upTo (committed ones). Called by the storage
  // off the commit path, by one caller at a time per folder (the storage serializes it across
  // processes); positions() and add() may run meanwhile and answer the same before and after.
  // Idempotent; the next call or truncateAfter() repairs a call that a crash interrupted.
  virtual void materialize(Position upTo) = 0;
  // Called under the store lock on recovery: drops every entry after `head` (left by an
  // interrupted append) so the events after it can be added again.
  virtual void truncateAfter(Position head) = 0;
  // Forgets everything in memory (the store was deleted or recreated by someone).
  virtual void reset() = 0;
  // Tag migration, under the store lock: adds `tags` to committed positions (each entry's
  // position and the tags it gains; eventType unused). Idempotent, so recovery may repeat it.
  virtual void addTags(std::span<const IndexedEvent> additions) = 0;

  // Minor 2: the capability `id` (capability.hpp), or nullptr when this index lacks it.
  virtual void* capability(Capability id) {
    (void)id;
    return nullptr;
  }
};

struct IndexContext {
  std::filesystem::path directory;  // the index owns this folder ({store}/indices)
  std::shared_ptr<FileSystem> fileSystem;
  std::shared_ptr<Logger> logger;
  PluginOptions options;
};

}  // namespace opossum::sdk
