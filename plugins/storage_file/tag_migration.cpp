#include "tag_migration.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <algorithm>

#include "opossum/errors.hpp"
#include "opossum/sdk/nesting.hpp"

namespace opossum::plugins::file_storage {

void writeMigrationPlan(sdk::FileSystem& fs, const std::filesystem::path& path,
                        const std::vector<TagAddition>& plan, bool sync) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto string = [&](const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("format");
  w.String("opossum-tag-migration");
  w.Key("version");
  w.Int(1);
  w.Key("additions");
  w.StartArray();
  for (const auto& addition : plan) {
    w.StartArray();
    w.Uint64(addition.position);
    w.StartArray();
    for (const auto& tag : addition.tags) {
      w.StartArray();
      string(tag.key);
      string(tag.value);
      w.EndArray();
    }
    w.EndArray();
    w.EndArray();
  }
  w.EndArray();
  w.EndObject();
  fs.replaceFile(path, std::string(buffer.GetString(), buffer.GetSize()) + "\n", sync);
  if (sync) fs.syncDirectory(path.parent_path());
}

std::optional<std::vector<TagAddition>> readMigrationPlan(sdk::FileSystem& fs,
                                                          const std::filesystem::path& path) {
  auto text = fs.readFile(path);
  if (!text) return std::nullopt;
  auto bad = [&] {
    return CorruptionError("tag migration plan '" + path.string() + "' is damaged");
  };
  // A plan nests four levels; anything deeper is damage that must not exhaust the stack.
  if (sdk::jsonNestsDeeperThan(*text, 8)) throw bad();
  rapidjson::Document doc;
  doc.Parse(text->data(), text->size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("additions") ||
      !doc["additions"].IsArray()) {
    throw bad();
  }
  std::vector<TagAddition> plan;
  for (const auto& entry : doc["additions"].GetArray()) {
    if (!entry.IsArray() || entry.Size() != 2 || !entry[0].IsUint64() || !entry[1].IsArray()) {
      throw bad();
    }
    TagAddition addition{entry[0].GetUint64(), {}};
    for (const auto& tag : entry[1].GetArray()) {
      if (!tag.IsArray() || tag.Size() != 2 || !tag[0].IsString() || !tag[1].IsString())
        throw bad();
      addition.tags.push_back({{tag[0].GetString(), tag[0].GetStringLength()},
                               {tag[1].GetString(), tag[1].GetStringLength()}});
    }
    plan.push_back(std::move(addition));
  }
  return plan;
}

std::vector<Tag> newTags(const DomainEvent& event, const std::vector<Tag>& wanted) {
  std::vector<Tag> added;
  auto hasKey = [](const std::vector<Tag>& tags, const std::string& key) {
    return std::any_of(tags.begin(), tags.end(), [&](const Tag& t) { return t.key == key; });
  };
  // Keys the event had before the migration decide; the new tags may share a key among them.
  for (const auto& tag : wanted) {
    if (!hasKey(event.tags, tag.key) && std::find(added.begin(), added.end(), tag) == added.end()) {
      added.push_back(tag);
    }
  }
  return added;
}

}  // namespace opossum::plugins::file_storage
