#include "postgres_projections.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "opossum/errors.hpp"
#include "postgres_storage.hpp"

namespace opossum::plugins::postgres {

namespace {

const char* kindName(sdk::ProjectionRecordKind kind) {
  return kind == sdk::ProjectionRecordKind::checkpoint ? "checkpoint" : "rebuild";
}

// Tags as a jsonb array of {"k": key, "v": value}: containment then matches whole tags (an array
// of pairs would match a pair in either order).
std::string instanceTagsJson(const std::vector<Tag>& tags) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartArray();
  for (const Tag& tag : tags) {
    writer.StartObject();
    writer.Key("k");
    writer.String(tag.key.data(), static_cast<rapidjson::SizeType>(tag.key.size()));
    writer.Key("v");
    writer.String(tag.value.data(), static_cast<rapidjson::SizeType>(tag.value.size()));
    writer.EndObject();
  }
  writer.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::vector<Tag> parseTags(const std::string& json, const std::string& projection,
                           const std::string& key) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  auto corrupt = [&] {
    return CorruptionError("projection '" + projection + "', key '" + key +
                           "': the tags in PostgreSQL are not an array of {k, v} objects: " + json);
  };
  if (doc.HasParseError() || !doc.IsArray()) throw corrupt();
  std::vector<Tag> tags;
  for (const auto& tag : doc.GetArray()) {
    if (!tag.IsObject() || !tag.HasMember("k") || !tag["k"].IsString() || !tag.HasMember("v") ||
        !tag["v"].IsString()) {
      throw corrupt();
    }
    tags.push_back(Tag{std::string(tag["k"].GetString(), tag["k"].GetStringLength()),
                       std::string(tag["v"].GetString(), tag["v"].GetStringLength())});
  }
  return tags;
}

// Inside a transaction: a write that need not be durable does not wait for the WAL's flush.
void applyDurability(Connection& connection, const sdk::GenerationOptions& options) {
  if (!options.durable) connection.exec("SET LOCAL synchronous_commit = off");
}

class PostgresGeneration final : public sdk::ProjectionGeneration {
 public:
  PostgresGeneration(PostgresStorage& storage, std::string projection, std::uint64_t generation,
                     sdk::GenerationOptions options)
      : storage_(storage),
        projection_(std::move(projection)),
        generation_(std::to_string(generation)),
        options_(options) {}

  void recover() override {}  // a batch is one transaction: nothing is ever half-written

  std::optional<sdk::ProjectionInstance> read(const std::string& key) override {
    auto rows = select(" AND key = $4", {key});
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
  }

  void write(const std::vector<sdk::InstanceChange>& changes,
             const std::optional<sdk::ProjectionRecord>& record) override {
    if (changes.empty() && !record) return;
    std::vector<Param> deleted, keys, tags, states;
    for (const sdk::InstanceChange& change : changes) {
      if (!change.next) {
        deleted.emplace_back(change.key);
        continue;
      }
      keys.emplace_back(change.key);
      tags.emplace_back(instanceTagsJson(change.next->tags));
      states.emplace_back(change.next->json);
    }
    const Tables& tables = storage_.tables();
    const std::string id = std::to_string(storage_.storeId());
    auto connection = storage_.pool().acquire();
    inTransaction(*connection, {}, [&] {
      applyDurability(*connection, options_);
      if (!deleted.empty()) {
        connection->exec("DELETE FROM " + tables.projectionInstances +
                             " WHERE store_id = $1 AND projection = $2 AND generation = $3"
                             " AND key = ANY($4::text[])",
                         {id, projection_, generation_, arrayLiteral(deleted)});
      }
      if (!keys.empty()) {
        connection->exec(
            "INSERT INTO " + tables.projectionInstances +
                " (store_id, projection, generation, key, tags, state)"
                " SELECT $1, $2, $3, u.key, u.tags, u.state"
                " FROM unnest($4::text[], $5::jsonb[], $6::json[]) AS u(key, tags, state)"
                " ON CONFLICT (store_id, projection, generation, key)"
                " DO UPDATE SET tags = EXCLUDED.tags, state = EXCLUDED.state",
            {id, projection_, generation_, arrayLiteral(keys), arrayLiteral(tags),
             arrayLiteral(states)});
      }
      if (record) {
        connection->exec("INSERT INTO " + tables.projectionRecords +
                             " (store_id, projection, kind, content) VALUES ($1, $2, $3, $4)"
                             " ON CONFLICT (store_id, projection, kind)"
                             " DO UPDATE SET content = EXCLUDED.content",
                         {id, projection_, kindName(record->kind), record->content});
      }
    });
  }

  std::vector<sdk::ProjectionInstance> all() override { return select("", {}); }

  std::vector<sdk::ProjectionInstance> withTags(const std::vector<Tag>& tags) override {
    if (tags.empty()) return all();
    return select(" AND tags @> $4::jsonb", {instanceTagsJson(tags)});
  }

  std::uint64_t count() override {
    auto connection = storage_.pool().acquire();
    Result row =
        connection->exec("SELECT count(*) FROM " + storage_.tables().projectionInstances +
                             " WHERE store_id = $1 AND projection = $2 AND generation = $3",
                         {std::to_string(storage_.storeId()), projection_, generation_});
    return static_cast<std::uint64_t>(row.integer(0, 0));
  }

 private:
  // The instances of this generation matching `condition` (on $4...), in key order.
  std::vector<sdk::ProjectionInstance> select(const std::string& condition,
                                              std::vector<Param> extra) {
    std::vector<Param> params{std::to_string(storage_.storeId()), projection_, generation_};
    for (auto& p : extra) params.push_back(std::move(p));
    auto connection = storage_.pool().acquire();
    Result rows = connection->exec(
        "SELECT key, tags::text, state::text FROM " + storage_.tables().projectionInstances +
            " WHERE store_id = $1 AND projection = $2 AND generation = $3" + condition +
            " ORDER BY key COLLATE \"C\"",
        params);
    std::vector<sdk::ProjectionInstance> out;
    out.reserve(static_cast<std::size_t>(rows.rows()));
    for (int r = 0; r < rows.rows(); ++r) {
      sdk::ProjectionInstance instance;
      instance.key = rows.text(r, 0);
      instance.tags = parseTags(rows.text(r, 1), projection_, instance.key);
      instance.json = rows.text(r, 2);
      out.push_back(std::move(instance));
    }
    return out;
  }

  PostgresStorage& storage_;
  std::string projection_;
  std::string generation_;
  sdk::GenerationOptions options_;
};

}  // namespace

std::optional<std::string> PostgresProjectionStates::readRecord(const std::string& projection,
                                                                sdk::ProjectionRecordKind kind) {
  auto connection = storage_.pool().acquire();
  Result row = connection->exec("SELECT content FROM " + storage_.tables().projectionRecords +
                                    " WHERE store_id = $1 AND projection = $2 AND kind = $3",
                                {std::to_string(storage_.storeId()), projection, kindName(kind)});
  if (row.rows() == 0) return std::nullopt;
  return row.text(0, 0);
}

void PostgresProjectionStates::writeRecord(const std::string& projection,
                                           const sdk::ProjectionRecord& record,
                                           const sdk::GenerationOptions& options) {
  auto connection = storage_.pool().acquire();
  inTransaction(*connection, {}, [&] {
    applyDurability(*connection, options);
    connection->exec(
        "INSERT INTO " + storage_.tables().projectionRecords +
            " (store_id, projection, kind, content) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (store_id, projection, kind)"
            " DO UPDATE SET content = EXCLUDED.content",
        {std::to_string(storage_.storeId()), projection, kindName(record.kind), record.content});
  });
}

void PostgresProjectionStates::removeRecord(const std::string& projection,
                                            sdk::ProjectionRecordKind kind) {
  auto connection = storage_.pool().acquire();
  connection->exec("DELETE FROM " + storage_.tables().projectionRecords +
                       " WHERE store_id = $1 AND projection = $2 AND kind = $3",
                   {std::to_string(storage_.storeId()), projection, kindName(kind)});
}

std::vector<std::uint64_t> PostgresProjectionStates::generations(const std::string& projection) {
  auto connection = storage_.pool().acquire();
  Result rows =
      connection->exec("SELECT DISTINCT generation FROM " + storage_.tables().projectionInstances +
                           " WHERE store_id = $1 AND projection = $2",
                       {std::to_string(storage_.storeId()), projection});
  std::vector<std::uint64_t> out;
  for (int r = 0; r < rows.rows(); ++r) {
    out.push_back(static_cast<std::uint64_t>(rows.integer(r, 0)));
  }
  return out;
}

void PostgresProjectionStates::removeGeneration(const std::string& projection,
                                                std::uint64_t generation) {
  auto connection = storage_.pool().acquire();
  connection->exec("DELETE FROM " + storage_.tables().projectionInstances +
                       " WHERE store_id = $1 AND projection = $2 AND generation = $3",
                   {std::to_string(storage_.storeId()), projection, std::to_string(generation)});
}

std::unique_ptr<sdk::ProjectionGeneration> PostgresProjectionStates::generation(
    const std::string& projection, std::uint64_t generation,
    const sdk::GenerationOptions& options) {
  return std::make_unique<PostgresGeneration>(storage_, projection, generation, options);
}

}  // namespace opossum::plugins::postgres
