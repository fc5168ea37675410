#include "manifest.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "opossum/errors.hpp"
#include "opossum/sdk/nesting.hpp"

namespace opossum::plugins::file_storage {

namespace {

// A manifest is a flat object of three small objects; anything nested deeper is not one, and
// RapidJSON's recursive parser must not be given a chance to exhaust the stack.
constexpr std::size_t kMaxDepth = 8;

std::string part(const std::string& name, int version) {
  return name + " version " + std::to_string(version);
}

// "<name> version <n>" of one part of a manifest, or "" when absent.
std::string recorded(const rapidjson::Document& doc, const char* key) {
  auto it = doc.FindMember(key);
  if (it == doc.MemberEnd() || !it->value.IsObject()) return "";
  auto name = it->value.FindMember("name");
  auto version = it->value.FindMember("version");
  if (name == it->value.MemberEnd() || !name->value.IsString() ||
      version == it->value.MemberEnd() || !version->value.IsInt()) {
    return "";
  }
  return part(name->value.GetString(), version->value.GetInt());
}

}  // namespace

Manifest expectedManifest(const sdk::StorageContext& c) {
  return {part(kStorageName, kStorageVersion),
          part(c.serializer->formatName(), c.serializer->formatVersion()),
          part(c.index->formatName(), c.index->formatVersion())};
}

std::string manifestText(const sdk::StorageContext& c) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto partObject = [&](const char* key, const std::string& name, int version) {
    w.Key(key);
    w.StartObject();
    w.Key("name");
    w.String(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
    w.Key("version");
    w.Int(version);
    w.EndObject();
  };
  w.StartObject();
  w.Key("format");
  w.String("opossum-store");
  partObject("storage", kStorageName, kStorageVersion);
  partObject("serializer", c.serializer->formatName(), c.serializer->formatVersion());
  partObject("index", c.index->formatName(), c.index->formatVersion());
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

Manifest parseManifest(std::string_view text, const std::filesystem::path& path) {
  rapidjson::Document doc;
  const bool deep = sdk::jsonNestsDeeperThan(text, kMaxDepth);
  if (!deep) doc.Parse(text.data(), text.size());
  if (deep || doc.HasParseError() || !doc.IsObject()) {
    throw CorruptionError("store manifest '" + path.string() + "' is not valid JSON");
  }
  auto format = doc.FindMember("format");
  if (format == doc.MemberEnd() || !format->value.IsString() ||
      std::string_view(format->value.GetString()) != "opossum-store") {
    throw CorruptionError("store manifest '" + path.string() +
                          "' does not say \"format\": \"opossum-store\"");
  }
  return {recorded(doc, "storage"), recorded(doc, "serializer"), recorded(doc, "index")};
}

}  // namespace opossum::plugins::file_storage
