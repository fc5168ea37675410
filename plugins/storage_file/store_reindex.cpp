#include "store_reindex.hpp"

#include <set>
#include <vector>

#include "layout.hpp"
#include "ledger.hpp"
#include "opossum/errors.hpp"
#include "store_locks.hpp"

namespace opossum::plugins::file_storage {

namespace fs = std::filesystem;

sdk::ReindexReport reindexStore(const sdk::StorageContext& context, std::size_t batchSize,
                                const sdk::Progress& progress) {
  if (batchSize == 0) throw InvalidArgumentError("reindex: the batch size must be at least 1");
  auto& files = *context.fileSystem;
  const fs::path dir = context.storeDirectory;
  auto lock = lockStoreFolder(files, dir, context.crossProcessLockTimeout, {});
  auto ledger = readLedger(files, dir / kLedgerFile);
  if (!ledger) throw Error("no store at '" + dir.string() + "' (no " + kLedgerFile + ")");
  const Position head = ledger->position;

  const fs::path live = dir / kIndexFolder;
  const fs::path building = dir / (std::string(kIndexFolder) + ".reindex");
  const fs::path old = dir / (std::string(kIndexFolder) + ".old");
  files.removeAll(building);
  // An old index an interrupted reindex left aside goes back when there is no other.
  if (!files.exists(live) && files.exists(old)) files.rename(old, live);
  files.removeAll(old);
  std::set<std::string> types;
  std::set<Tag> tags;
  {
    auto index = context.makeIndex(building);
    std::vector<sdk::IndexedEvent> batch;
    for (Position p = 1; p <= head; ++p) {
      const fs::path path =
          dir / kEventsFolder / eventFileName(p, context.serializer->fileExtension());
      auto fail = [&](const std::string& why) {
        files.removeAll(building);
        return CorruptionError("cannot reindex: event file '" + path.string() + "' " + why +
                               " (run 'opossum verify')");
      };
      auto bytes = files.readFile(path);
      if (!bytes) throw fail("is missing");
      SequencedEvent event;
      try {
        event = context.serializer->deserialize(*bytes);
      } catch (const Error& e) {
        throw fail(std::string("cannot be read: ") + e.what());
      }
      if (event.position != p) throw fail("holds position " + std::to_string(event.position));
      types.insert(event.event.eventType);
      tags.insert(event.event.tags.begin(), event.event.tags.end());
      batch.push_back({p, std::move(event.event.eventType), std::move(event.event.tags)});
      if (batch.size() >= batchSize || p == head) {
        index->add(batch);
        batch.clear();
        if (progress) progress(p, head);
      }
    }
    index->materialize(head);
  }
  // An empty store's index writes nothing; the swap below still needs its folder.
  files.createDirectories(building);
  if (context.flushEventsImmediately) files.syncFileSystem(dir);
  if (files.exists(live)) files.rename(live, old);
  files.rename(building, live);
  files.removeAll(old);
  files.syncDirectory(dir);
  // Every process that has the store open drops its in-memory index when the ledger's
  // tagRevision changes (as after a tag migration).
  auto current = readLedger(files, dir / kLedgerFile);
  if (!current)
    throw Error("ledger '" + (dir / kLedgerFile).string() + "' vanished during reindex");
  ++current->tagRevision;
  writeLedger(files, dir / kLedgerFile, *current, context.flushEventsImmediately);
  return {head, types.size(), tags.size()};
}

}  // namespace opossum::plugins::file_storage
