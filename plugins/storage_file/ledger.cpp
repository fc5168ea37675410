#include "ledger.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <random>

#include "opossum/errors.hpp"

namespace opossum::plugins::file_storage {

namespace {
constexpr const char* kFormat = "opossum-ledger";
constexpr int kVersion = 1;
}  // namespace

std::optional<Ledger> readLedger(sdk::FileSystem& fs, const std::filesystem::path& path) {
  auto text = fs.readFile(path);
  if (!text) return std::nullopt;
  rapidjson::Document doc;
  doc.Parse(text->data(), text->size());
  auto bad = [&](const char* what) {
    return CorruptionError("ledger '" + path.string() + "' is damaged: " + what);
  };
  if (doc.HasParseError() || !doc.IsObject()) throw bad("not a JSON object");
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
  const auto& tagRevision = member("tagRevision");
  const auto& bootId = member("bootId");
  if (!generation.IsString() || !position.IsUint64() || !journalOffset.IsUint64() ||
      !tagRevision.IsUint64() || !bootId.IsString()) {
    throw bad("a field has the wrong type");
  }
  return Ledger{generation.GetString(), position.GetUint64(), journalOffset.GetUint64(),
                tagRevision.GetUint64(), bootId.GetString()};
}

void writeLedger(sdk::FileSystem& fs, const std::filesystem::path& path, const Ledger& ledger,
                 bool sync) {
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
  w.Key("tagRevision");
  w.Uint64(ledger.tagRevision);
  w.Key("bootId");
  w.String(ledger.bootId.c_str(), static_cast<rapidjson::SizeType>(ledger.bootId.size()));
  w.EndObject();
  std::string text(buffer.GetString(), buffer.GetSize());
  text += '\n';
  fs.replaceFile(path, text, sync);
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
