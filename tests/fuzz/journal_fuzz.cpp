// The journal of the file-per-event storage, read as recovery and readers read it. Each record's
// CRC is recomputed over the fuzzed bytes first, so the fuzzer reaches the parsing behind the
// checksum. The records found must lie inside the file and chain their positions.
#include <cstring>

#include "fuzz_support.hpp"
#include "journal.hpp"
#include "opossum/errors.hpp"
#include "opossum/sdk/checksum.hpp"

namespace {

constexpr std::size_t kHeaderSize = 24;

// Gives every record in the chain from offset 0 a valid CRC, as far as its length field allows.
std::string withValidChecksums(std::string bytes) {
  std::size_t offset = 0;
  while (offset + kHeaderSize <= bytes.size()) {
    std::uint32_t payload = 0;
    std::memcpy(&payload, bytes.data() + offset + 8, 4);
    const std::size_t end = offset + kHeaderSize + payload;
    if (end > bytes.size()) break;
    const std::uint32_t crc =
        opossum::sdk::crc32(std::string_view(bytes).substr(offset + 8, end - offset - 8));
    std::memcpy(bytes.data() + offset + 4, &crc, 4);
    offset = end;
  }
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace store = opossum::plugins::file_storage;
  using opossum::fuzz::violated;
  const std::string bytes = withValidChecksums(std::string(opossum::fuzz::bytesOf(data, size)));
  const std::filesystem::path path = "/fuzz/journal";
  auto files = std::make_shared<opossum::fuzz::MemoryFileSystem>(path, bytes);
  auto journal = store::Journal::openForReading(files, path);
  if (!journal) violated("the journal file was not opened");

  const store::Journal::Chain chain = journal->scan();
  if (chain.endOffset > bytes.size()) violated("the chain ends beyond the file");
  opossum::Position expected = chain.records.empty() ? 0 : chain.records.front().firstPosition;
  for (const store::JournalRecord& record : chain.records) {
    if (record.firstPosition != expected || record.eventFiles.empty()) {
      violated("the records do not chain their positions");
    }
    if (record.offsets.size() != record.eventFiles.size()) violated("offsets and events differ");
    for (std::size_t i = 0; i < record.eventFiles.size(); ++i) {
      if (journal->readBytes(record.offsets[i], record.eventFiles[i].size()) !=
          record.eventFiles[i]) {
        violated("an event's offset does not locate its bytes");
      }
    }
    expected = record.lastPosition() + 1;
  }
  if (auto first = journal->firstPosition()) {
    std::vector<store::Journal::Extent> extents;
    std::uint64_t next = 0;
    const bool found = journal->extentsAt(0, *first, extents, &next);
    if (found != !chain.records.empty()) violated("extentsAt and scan disagree");
    if (found && next > bytes.size()) violated("a record ends beyond the file");
  }
  return 0;
}
