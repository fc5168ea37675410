#include "journal.hpp"

#include <cstring>

#include "opossum/errors.hpp"
#include "opossum/sdk/checksum.hpp"

namespace opossum::plugins::file_storage {

namespace {

// Record layout (little-endian): magic, crc32 of everything after the crc field, payload length,
// event count, first position; then per event its length and bytes.
constexpr std::uint32_t kMagic = 0x314a504f;  // "OPJ1"
constexpr std::size_t kHeaderSize = 4 + 4 + 4 + 4 + 8;
constexpr std::uint64_t kMaxPayload = std::uint64_t{1} << 31;

void put32(std::string& out, std::uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}
void put64(std::string& out, std::uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}
std::uint32_t get32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
std::uint64_t get64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

std::string encode(const JournalRecord& record) {
  std::uint64_t payload = 0;
  for (const auto& f : record.eventFiles) payload += 4 + f.size();
  std::string out;
  out.reserve(kHeaderSize + payload);
  put32(out, kMagic);
  put32(out, 0);  // crc, filled below
  put32(out, static_cast<std::uint32_t>(payload));
  put32(out, static_cast<std::uint32_t>(record.eventFiles.size()));
  put64(out, record.firstPosition);
  for (const auto& f : record.eventFiles) {
    put32(out, static_cast<std::uint32_t>(f.size()));
    out.append(f);
  }
  std::uint32_t crc = sdk::crc32(std::string_view(out).substr(8));
  std::memcpy(out.data() + 4, &crc, 4);
  return out;
}

}  // namespace

Journal::Journal(std::shared_ptr<sdk::FileSystem> fs, std::filesystem::path path,
                 std::uint64_t capacity)
    : fs_(std::move(fs)), path_(std::move(path)), capacity_(capacity) {
  writer_ = fs_->openWritable(path_, sdk::OpenMode::append);
  std::uint64_t size = writer_->size();
  if (size < capacity_) {
    capacity_ = size;
    grow(capacity);
    fs_->syncDirectory(path_.parent_path());
  } else {
    capacity_ = size;
  }
  reader_ = fs_->openReadable(path_);
  if (!reader_) throwIoError("cannot open journal", path_.string(), ENOENT);
}

std::unique_ptr<Journal> Journal::openForReading(std::shared_ptr<sdk::FileSystem> fs,
                                                 std::filesystem::path path) {
  auto reader = fs->openReadable(path);
  if (!reader) return nullptr;
  std::unique_ptr<Journal> journal(new Journal());
  journal->capacity_ = reader->size();
  journal->fs_ = std::move(fs);
  journal->path_ = std::move(path);
  journal->reader_ = std::move(reader);
  return journal;
}

void Journal::grow(std::uint64_t capacity) {
  if (capacity <= capacity_) return;
  // Zeros, not a sparse file: later syncs then flush data without extending the file.
  const std::string zeros(1 << 20, '\0');
  for (std::uint64_t at = capacity_; at < capacity; at += zeros.size()) {
    writer_->writeAt(at, std::string_view(zeros).substr(
                             0, std::min<std::uint64_t>(zeros.size(), capacity - at)));
  }
  writer_->sync();
  capacity_ = capacity;
}

std::uint64_t Journal::encodedSize(const JournalRecord& record) {
  std::uint64_t size = kHeaderSize;
  for (const auto& f : record.eventFiles) size += 4 + f.size();
  return size;
}

std::uint64_t Journal::write(std::uint64_t offset, const JournalRecord& record, bool sync) {
  std::string bytes = encode(record);
  if (bytes.size() - kHeaderSize > kMaxPayload) {
    throw InvalidArgumentError("append batch too large: " + std::to_string(bytes.size()) +
                               " bytes (at most 2 GiB per append)");
  }
  writer_->writeAt(offset, bytes);
  if (offset + bytes.size() > capacity_) capacity_ = offset + bytes.size();
  if (sync) writer_->sync();
  return offset + bytes.size();
}

void Journal::invalidate(std::uint64_t offset) noexcept {
  try {
    writer_->writeAt(offset, std::string(kHeaderSize, '\0'));
    writer_->sync();
  } catch (...) {
    // The disk refuses writes: a later recovery may still complete the record.
  }
}

std::optional<std::string> Journal::bodyAt(std::uint64_t offset, Position expectedFirst,
                                           std::vector<Extent>& events, std::uint64_t* next) {
  std::string header = reader_->readAt(offset, kHeaderSize);
  if (header.size() < kHeaderSize || get32(header.data()) != kMagic) return std::nullopt;
  std::uint32_t payload = get32(header.data() + 8);
  std::uint32_t count = get32(header.data() + 12);
  Position first = get64(header.data() + 16);
  if (first != expectedFirst || count == 0) return std::nullopt;
  std::string body = reader_->readAt(offset + kHeaderSize, payload);
  if (body.size() < payload) return std::nullopt;
  // Over everything after the crc field, without copying the body.
  std::uint32_t crc = sdk::crc32(std::string_view(header).substr(8));
  if (sdk::crc32(body, crc) != get32(header.data() + 4)) return std::nullopt;
  const std::size_t known = events.size();
  std::size_t at = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint32_t len = at + 4 <= body.size() ? get32(body.data() + at) : 0;
    if (at + 4 > body.size() || at + 4 + len > body.size()) {
      events.resize(known);
      return std::nullopt;
    }
    at += 4;
    events.push_back({offset + kHeaderSize + at, len});
    at += len;
  }
  if (next) *next = offset + kHeaderSize + payload;
  return body;
}

std::optional<JournalRecord> Journal::readAt(std::uint64_t offset, Position expectedFirst,
                                             std::uint64_t* next) {
  std::vector<Extent> events;
  auto body = bodyAt(offset, expectedFirst, events, next);
  if (!body) return std::nullopt;
  JournalRecord record;
  record.firstPosition = expectedFirst;
  for (const auto& event : events) {
    record.eventFiles.emplace_back(body->substr(event.offset - offset - kHeaderSize, event.length));
    record.offsets.push_back(event.offset);
  }
  return record;
}

bool Journal::extentsAt(std::uint64_t offset, Position expectedFirst, std::vector<Extent>& out,
                        std::uint64_t* next) {
  return bodyAt(offset, expectedFirst, out, next).has_value();
}

std::optional<Position> Journal::firstPosition() {
  std::string header = reader_->readAt(0, kHeaderSize);
  if (header.size() < kHeaderSize || get32(header.data()) != kMagic) return std::nullopt;
  Position first = get64(header.data() + 16);
  if (first == 0) return std::nullopt;
  return first;
}

Journal::Chain Journal::scan() {
  Chain chain;
  auto first = firstPosition();
  if (!first) return chain;
  Position expected = *first;
  std::uint64_t offset = 0;
  while (auto record = readAt(offset, expected, &offset)) {
    expected = record->lastPosition() + 1;
    chain.records.push_back(std::move(*record));
    chain.endOffset = offset;
  }
  return chain;
}

}  // namespace opossum::plugins::file_storage
