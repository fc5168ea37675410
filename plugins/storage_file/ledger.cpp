#include "ledger.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <charconv>
#include <random>
#include <thread>

#include "opossum/errors.hpp"
#include "opossum/sdk/checksum.hpp"
#include "opossum/sdk/nesting.hpp"

namespace opossum::plugins::file_storage {

namespace {

constexpr const char* kFormat = "opossum-ledger";
constexpr int kVersion = 1;
constexpr std::string_view kCrcMember = ",\"crc\":";
constexpr std::size_t kLedgerSize = 512;  // fixed, so an update overwrites every old byte

// Whether the text ends its object with the crc of everything before the crc member. A reader
// racing an in-place update can see a mix of two versions; the crc tells it to read again.
bool checksumHolds(const std::string& text) {
  std::size_t at = text.rfind(kCrcMember);
  if (at == std::string::npos) return false;
  std::uint32_t stored = 0;
  auto digits = std::string_view(text).substr(at + kCrcMember.size());
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), stored);
  return ec == std::errc() && end != digits.data() && *end == '}' &&
         stored == sdk::crc32(std::string_view(text).substr(0, at));
}

// The text `readText` gives once its checksum holds (or after many tries, for the parser to
// report).
template <class ReadText>
std::optional<std::string> readWhole(ReadText readText) {
  std::optional<std::string> text;
  for (int attempt = 0;; ++attempt) {
    text = readText();
    if (!text || checksumHolds(*text) || attempt == 1000) return text;
    std::this_thread::yield();
  }
}

}  // namespace

Ledger parseLedger(const std::string& text, const std::filesystem::path& path) {
  auto bad = [&](const char* what) {
    return CorruptionError("ledger '" + path.string() + "' is damaged: " + what);
  };
  // The ledger nests nothing; the DOM parser below recurses per level of damaged nesting.
  if (sdk::jsonNestsDeeperThan(text, 1)) throw bad("it holds nested arrays or objects");
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) throw bad("not a JSON object");
  if (!checksumHolds(text)) throw bad("its checksum does not match");
  auto member = [&](const char* name) -> const rapidjson::Value& {
    auto it = doc.FindMember(name);
    if (it == doc.MemberEnd()) throw bad((std::string("missing '") + name + "'").c_str());
    return it->value;
  };
  const auto& format = member("format");
  const auto& version = member("version");
  if (!format.IsString() || std::string(format.GetString()) != kFormat || !version.IsInt()) {
    throw bad("not an opossum ledger");
  }
  if (version.GetInt() != kVersion) {
    throw CorruptionError("ledger '" + path.string() + "' has format version " +
                          std::to_string(version.GetInt()) + "; this storage reads version " +
                          std::to_string(kVersion));
  }
  const auto& generation = member("generation");
  const auto& position = member("position");
  const auto& journalOffset = member("journalOffset");
  const auto& materialized = member("materialized");
  const auto& materializedOffset = member("materializedOffset");
  const auto& tagRevision = member("tagRevision");
  const auto& bootId = member("bootId");
  if (!generation.IsString() || !position.IsUint64() || !journalOffset.IsUint64() ||
      !materialized.IsUint64() || !materializedOffset.IsUint64() || !tagRevision.IsUint64() ||
      !bootId.IsString()) {
    throw bad("a field has the wrong type");
  }
  Ledger ledger;
  ledger.generation = generation.GetString();
  ledger.position = position.GetUint64();
  ledger.journalOffset = journalOffset.GetUint64();
  ledger.materialized = materialized.GetUint64();
  ledger.materializedOffset = materializedOffset.GetUint64();
  ledger.tagRevision = tagRevision.GetUint64();
  ledger.bootId = bootId.GetString();
  if (ledger.materialized > ledger.position) throw bad("'materialized' exceeds 'position'");
  return ledger;
}

namespace {

std::string ledgerText(const Ledger& ledger) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("format");
  w.String(kFormat);
  w.Key("version");
  w.Int(kVersion);
  w.Key("generation");
  w.String(ledger.generation.c_str(), static_cast<rapidjson::SizeType>(ledger.generation.size()));
  w.Key("position");
  w.Uint64(ledger.position);
  w.Key("journalOffset");
  w.Uint64(ledger.journalOffset);
  w.Key("materialized");
  w.Uint64(ledger.materialized);
  w.Key("materializedOffset");
  w.Uint64(ledger.materializedOffset);
  w.Key("tagRevision");
  w.Uint64(ledger.tagRevision);
  w.Key("bootId");
  w.String(ledger.bootId.c_str(), static_cast<rapidjson::SizeType>(ledger.bootId.size()));
  w.EndObject();
  std::string text(buffer.GetString(), buffer.GetSize() - 1);  // without the closing brace
  text += std::string(kCrcMember) + std::to_string(sdk::crc32(text)) + "}";
  if (text.size() < kLedgerSize - 1) text.resize(kLedgerSize - 1, ' ');
  text += '\n';
  return text;
}

}  // namespace

std::optional<Ledger> readLedger(sdk::FileSystem& fs, const std::filesystem::path& path) {
  auto text = readWhole([&] { return fs.readFile(path); });
  if (!text) return std::nullopt;
  return parseLedger(*text, path);
}

void writeLedger(sdk::FileSystem& fs, const std::filesystem::path& path, const Ledger& ledger,
                 bool sync) {
  std::string text = ledgerText(ledger);
  if (!fs.fileSize(path)) {
    fs.replaceFile(path, text, sync);  // created whole, never seen half-written
    return;
  }
  // Updated in place: no file is created or freed per commit (creating and freeing inodes is
  // what file systems are slowest at).
  auto file = fs.openWritable(path, sdk::OpenMode::append);
  file->writeAt(0, text);
  if (sync) file->sync();
}

LedgerFile::LedgerFile(std::shared_ptr<sdk::FileSystem> fs, std::filesystem::path path)
    : fs_(std::move(fs)), path_(std::move(path)) {}

std::optional<Ledger> LedgerFile::read() {
  std::lock_guard guard(mutex_);
  if (reader_ && reader_->replaced()) reader_.reset();  // deleteStore made a new one
  if (!reader_) reader_ = fs_->openReadable(path_);
  if (!reader_) return std::nullopt;
  // One system call: the ledger has a fixed size.
  auto text = readWhole([&] { return reader_->readAt(0, kLedgerSize); });
  if (!ledger_ || *text != text_) {
    ledger_ = parseLedger(*text, path_);
    text_ = std::move(*text);
  }
  return ledger_;
}

void LedgerFile::write(const Ledger& ledger, bool sync) {
  std::lock_guard guard(mutex_);
  std::string text = ledgerText(ledger);
  // Kept open between commits: a new generation (deleteStore, here or elsewhere) has a new file.
  if (!writer_ || writerGeneration_ != ledger.generation) {
    writer_.reset();
    if (!fs_->fileSize(path_)) {
      fs_->replaceFile(path_, text, sync);  // created whole, never seen half-written
    } else {
      writer_ = fs_->openWritable(path_, sdk::OpenMode::append);
      writerGeneration_ = ledger.generation;
    }
  }
  if (writer_) {
    try {
      writer_->writeAt(0, text);
      if (sync) writer_->sync();
    } catch (...) {
      writer_.reset();  // its state is unknown after a failed write
      throw;
    }
  }
  text_ = std::move(text);
  ledger_ = ledger;
}

void LedgerFile::close() {
  std::lock_guard guard(mutex_);
  reader_.reset();
  writer_.reset();
}

std::string newGeneration() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
                      static_cast<std::uint64_t>(getpid()));
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) out += hex[rng() % 16];
  return out;
}

const std::string& currentBootId() {
  static const std::string id = [] {
    std::string value;
    int fd = ::open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char buf[64];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) value.assign(buf, static_cast<std::size_t>(n));
      ::close(fd);
    }
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
    return value;
  }();
  return id;
}

}  // namespace opossum::plugins::file_storage
