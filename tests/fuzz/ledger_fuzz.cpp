// ledger.json of the file-per-event storage: any bytes either parse or give a CorruptionError.
// A parsed ledger, written out again, reads back the same.
#include "fuzz_support.hpp"
#include "ledger.hpp"
#include "opossum/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace store = opossum::plugins::file_storage;
  const std::string text(opossum::fuzz::bytesOf(data, size));
  const std::filesystem::path path = "/fuzz/ledger.json";
  store::Ledger ledger;
  try {
    ledger = store::parseLedger(text, path);
  } catch (const opossum::CorruptionError&) {
    return 0;
  }
  // writeLedger creates the file whole through replaceFile, here in memory.
  struct Capture : opossum::fuzz::MemoryFileSystem {
    using MemoryFileSystem::MemoryFileSystem;
    std::optional<std::uint64_t> fileSize(const opossum::sdk::fs::path&) override {
      return std::nullopt;
    }
    void replaceFile(const opossum::sdk::fs::path&, std::string_view bytes, bool) override {
      written.assign(bytes);
    }
    std::string written;
  } files(path, "");
  store::writeLedger(files, path, ledger, false);
  if (store::parseLedger(files.written, path) != ledger) {
    opossum::fuzz::violated("a ledger read does not read back the same after writing");
  }
  return 0;
}
