#include "file_maintenance.hpp"

#include "file_storage.hpp"
#include "layout.hpp"
#include "ledger.hpp"
#include "manifest.hpp"
#include "opossum/errors.hpp"
#include "store_check.hpp"
#include "store_reindex.hpp"
#include "store_repair.hpp"

namespace opossum::plugins::file_storage {

namespace fs = std::filesystem;

namespace {

std::uint64_t bytesUnder(sdk::FileSystem& files, const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::error_code typeEc;
    if (!it->is_regular_file(typeEc)) continue;
    if (auto size = files.fileSize(it->path())) total += *size;
  }
  return total;
}

}  // namespace

bool FileMaintenance::exists() {
  auto& files = *context_.fileSystem;
  const fs::path& dir = context_.storeDirectory;
  if (files.exists(dir / kLedgerFile)) return true;
  // Events without their commit record are a damaged store, not a missing one.
  if (!files.listDirectory(dir / kEventsFolder).empty() || files.exists(dir / kJournalFile)) {
    throw CorruptionError("store '" + dir.string() + "' holds events but its commit record " +
                          kLedgerFile +
                          " is missing; 'opossum recover' rebuilds it from the journal and the "
                          "event files");
  }
  return false;
}

std::optional<std::string> FileMaintenance::settle() {
  try {
    sdk::StorageContext use = context_;
    use.purpose = sdk::StoragePurpose::use;
    FileStorage storage(use);
    storage.readLast(Query::all());
  } catch (const Error& e) {
    return e.what();
  }
  return std::nullopt;
}

sdk::CheckReport FileMaintenance::check(const sdk::Progress& progress) {
  bool present = true;
  try {
    present = exists();
  } catch (const CorruptionError&) {
    // The check says what is wrong.
  }
  if (!present) {
    throw Error("no store at '" + context_.storeDirectory.string() + "' (no " + kLedgerFile + ")");
  }
  // A store that cannot be opened or read is a problem in itself.
  return checkStore(context_, settle(), progress);
}

sdk::RepairReport FileMaintenance::repair(const sdk::RepairOptions& options,
                                          const sdk::Progress& progress) {
  if (!context_.fileSystem->exists(context_.storeDirectory)) {
    throw Error("no store folder at '" + context_.storeDirectory.string() + "'");
  }
  return repairStore(context_, options, progress);
}

sdk::ReindexReport FileMaintenance::reindex(std::size_t batch, const sdk::Progress& progress) {
  if (!exists()) {
    throw Error("no store at '" + context_.storeDirectory.string() + "' (no " + kLedgerFile + ")");
  }
  // A damaged index may be what stops the store from opening; the rebuild replaces it.
  if (auto unusable = settle(); unusable && context_.logger) {
    context_.logger->log(sdk::LogLevel::warn,
                         "opening the store failed (" + *unusable + "); reindexing anyway");
  }
  return reindexStore(context_, batch, progress);
}

std::vector<std::string> FileMaintenance::propertyNames() {
  return {"head", "serializerFormat", "bytes", "location", "generation"};
}

std::optional<std::string> FileMaintenance::property(const std::string& name) {
  auto& files = *context_.fileSystem;
  const fs::path& dir = context_.storeDirectory;
  if (name == "head" || name == "generation") {
    auto ledger = readLedger(files, dir / kLedgerFile);
    if (name == "head") return std::to_string(ledger ? ledger->position : 0);
    return ledger ? ledger->generation : "";
  }
  if (name == "serializerFormat") {
    auto text = files.readFile(dir / kManifestFile);
    return text ? parseManifest(*text, dir / kManifestFile).serializer : "";
  }
  if (name == "bytes") return std::to_string(bytesUnder(files, dir));
  if (name == "location") return fs::absolute(dir).lexically_normal().string();
  return std::nullopt;
}

}  // namespace opossum::plugins::file_storage
