#include "store_helpers.hpp"

#include <cctype>
#include <chrono>
#include <cstdlib>

#include <rapidjson/document.h>
#include <stdlib.h>

#include <system_error>

#include "opossum/config.hpp"
#include "postgres_server.hpp"
#include "temp_dir.hpp"

namespace opossum::test {

namespace fs = std::filesystem;

void usePluginDir() { ::setenv("OPOSSUM_PLUGIN_PATH", pluginDir().c_str(), 1); }

NewEvent makeEvent(std::string type, std::string json, std::vector<Tag> tags, Metadata metadata) {
  return NewEvent{DomainEvent{std::move(type), std::move(json), std::move(tags)},
                  std::move(metadata)};
}

bool onPostgres() {
  const char* engine = std::getenv("OPOSSUM_TEST_STORAGE");
  return engine != nullptr && std::string(engine) == "postgres";
}

std::string postgresStorageJson(const fs::path& dir) {
  std::string schema = "t_";
  for (char c : dir.filename().string()) {
    const auto u = static_cast<unsigned char>(c);
    schema += std::isalnum(u) != 0 ? static_cast<char>(std::tolower(u)) : '_';
  }
  return R"({"name":"postgres","conninfo":")" + postgresConninfo() + R"(","schema":")" +
         schema.substr(0, 63) + R"("})";
}

std::shared_ptr<Store> openStore(const fs::path& root, const std::string& name, bool flush) {
  EventStoreOptions options;
  options.storeName = name;
  options.rootPath = root;
  options.flushEventsImmediately = flush;
  if (!onPostgres()) return createEventStore(options);
  // One database holds every test's stores: the test's own temporary folder names its store.
  options.storeName = root.filename().string() + "_" + name;
  StoreConfig config = defaultConfig(options);
  config.storage = PluginChoice{
      "postgres", std::nullopt, {{"conninfo", postgresConninfo()}, {"schema", "tests"}}};
  return createEventStore(config);
}

StoreConfig defaultStoreConfig(const fs::path& root, const std::string& name) {
  EventStoreOptions options;
  options.rootPath = root;
  options.storeName = name;
  auto config = defaultConfig(options);
  config.logLevel = "error";
  return config;
}

bool eventuallyExists(const fs::path& path, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::error_code ec;
    if (fs::exists(path, ec)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

std::map<std::string, std::intmax_t> snapshot(const fs::path& dir) {
  std::map<std::string, std::intmax_t> entries;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::string name = fs::relative(it->path(), dir).string();
    std::error_code sizeError;
    bool isFile = it->is_regular_file(sizeError);
    entries[name] = isFile ? static_cast<std::intmax_t>(it->file_size(sizeError)) : -1;
  }
  return entries;
}

std::string compactJson(const std::string& json) {
  std::string out;
  bool inString = false;
  bool escaped = false;
  for (char c : json) {
    if (inString) {
      out += c;
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        inString = false;
      }
    } else if (c == '"') {
      inString = true;
      out += c;
    } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
      out += c;
    }
  }
  return out;
}

std::string eventDifference(const SequencedEvent& a, const SequencedEvent& b) {
  auto at = " at position " + std::to_string(a.position);
  if (a.position != b.position) {
    return "position " + std::to_string(a.position) + " vs " + std::to_string(b.position);
  }
  if (a.event.eventType != b.event.eventType) {
    return "type '" + a.event.eventType + "' vs '" + b.event.eventType + "'" + at;
  }
  if (auto d = jsonMismatch(a.event.event, b.event.event); !d.empty()) return "payload " + d + at;
  if (a.event.tags != b.event.tags) return "tags differ" + at;
  const Metadata& x = a.metadata;
  const Metadata& y = b.metadata;
  if (x.correlationId != y.correlationId || x.causationId != y.causationId ||
      x.operationId != y.operationId || x.userId != y.userId) {
    return "metadata ids differ" + at;
  }
  return "";
}

std::string contiguityProblem(const std::vector<SequencedEvent>& events, Position first) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].position != first + i) {
      return "expected position " + std::to_string(first + i) + " at index " + std::to_string(i) +
             ", found " + std::to_string(events[i].position);
    }
  }
  return "";
}

long long payloadNumber(const std::string& json, const std::string& name) {
  std::string compact = compactJson(json);
  std::string key = "\"" + name + "\":";
  std::size_t at = compact.find(key);
  if (at == std::string::npos) return -1;
  return std::stoll(compact.substr(at + key.size()));
}

namespace {

std::string valueMismatch(const rapidjson::Value& a, const rapidjson::Value& b,
                          const std::string& at) {
  if (a.IsNumber() && b.IsNumber()) {
    bool equal = (a.IsUint64() && b.IsUint64()) ? a.GetUint64() == b.GetUint64()
                 : (a.IsInt64() && b.IsInt64()) ? a.GetInt64() == b.GetInt64()
                                                : a.GetDouble() == b.GetDouble();
    return equal ? "" : "number differs at " + at;
  }
  if (a.GetType() != b.GetType()) return "type differs at " + at;
  if (a.IsString()) {
    return std::string(a.GetString(), a.GetStringLength()) ==
                   std::string(b.GetString(), b.GetStringLength())
               ? ""
               : "string differs at " + at;
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return "array size differs at " + at;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      auto d = valueMismatch(a[i], b[i], at + "/" + std::to_string(i));
      if (!d.empty()) return d;
    }
    return "";
  }
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) return "member count differs at " + at;
    for (auto x = a.MemberBegin(), y = b.MemberBegin(); x != a.MemberEnd(); ++x, ++y) {
      std::string name(x->name.GetString(), x->name.GetStringLength());
      if (name != std::string(y->name.GetString(), y->name.GetStringLength())) {
        return "member name/order differs at " + at + "/" + name;
      }
      auto d = valueMismatch(x->value, y->value, at + "/" + name);
      if (!d.empty()) return d;
    }
    return "";
  }
  return a == b ? "" : "value differs at " + at;
}

}  // namespace

std::string jsonMismatch(const std::string& expected, const std::string& actual) {
  rapidjson::Document a, b;
  a.Parse<rapidjson::kParseFullPrecisionFlag>(expected.data(), expected.size());
  if (a.HasParseError()) return "expected text is not JSON: " + expected;
  b.Parse<rapidjson::kParseFullPrecisionFlag>(actual.data(), actual.size());
  if (b.HasParseError()) return "actual text is not JSON: " + actual;
  auto d = valueMismatch(a, b, "");
  return d.empty() ? "" : d + " (expected " + expected + ", got " + actual + ")";
}

std::vector<Position> positionsOf(const std::vector<SequencedEvent>& events) {
  std::vector<Position> out;
  for (const auto& e : events) out.push_back(e.position);
  return out;
}

ReadOptions options(bool descending, std::optional<Position> from, std::optional<std::size_t> max) {
  ReadOptions o;
  o.descending = descending;
  o.fromPosition = from;
  o.maxCount = max;
  return o;
}

Timestamp nanos(std::int64_t n) {
  return Timestamp{std::chrono::duration_cast<Timestamp::duration>(std::chrono::nanoseconds{n})};
}

}  // namespace opossum::test
