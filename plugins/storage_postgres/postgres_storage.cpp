#include "postgres_storage.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "opossum/errors.hpp"
#include "opossum/sdk/nesting.hpp"
#include "opossum/sdk/options.hpp"
#include "postgres_maintenance.hpp"
#include "postgres_projections.hpp"
#include "queries.hpp"

namespace opossum::plugins::postgres {

namespace {

std::string tagsJson(const std::vector<Tag>& tags) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  for (const auto& tag : tags) {
    writer.Key(tag.key.data(), static_cast<rapidjson::SizeType>(tag.key.size()));
    writer.String(tag.value.data(), static_cast<rapidjson::SizeType>(tag.value.size()));
  }
  writer.EndObject();
  return buffer.GetString();
}

std::vector<Tag> parseTags(const std::string& json, Position position) {
  rapidjson::Document document;
  document.Parse(json.c_str(), json.size());
  if (document.HasParseError() || !document.IsObject()) {
    throw CorruptionError("the tags of the event at position " + std::to_string(position) +
                          " are not a JSON object: " + json);
  }
  std::vector<Tag> tags;
  for (const auto& member : document.GetObject()) {
    if (!member.value.IsString()) {
      throw CorruptionError("a tag of the event at position " + std::to_string(position) +
                            " is not a string");
    }
    tags.push_back(Tag{std::string(member.name.GetString(), member.name.GetStringLength()),
                       std::string(member.value.GetString(), member.value.GetStringLength())});
  }
  return tags;
}

SequencedEvent rowToEvent(const Result& rows, int row) {
  SequencedEvent event;
  event.position = static_cast<Position>(rows.integer(row, 0));
  event.event.eventType = rows.text(row, 1);
  event.event.tags = parseTags(rows.text(row, 2), event.position);
  event.event.event = rows.text(row, 3);
  if (!rows.isNull(row, 4)) {
    event.metadata.timestamp = Timestamp{std::chrono::duration_cast<Timestamp::duration>(
        std::chrono::nanoseconds{rows.integer(row, 4)})};
  }
  event.metadata.correlationId = rows.optionalText(row, 5);
  event.metadata.causationId = rows.optionalText(row, 6);
  event.metadata.operationId = rows.optionalText(row, 7);
  event.metadata.userId = rows.optionalText(row, 8);
  return event;
}

// The timestamp as microseconds since the epoch (for timestamptz) and the nanoseconds after them.
std::pair<Param, Param> timestampParts(const Metadata& metadata) {
  if (!metadata.timestamp) return {};
  auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(metadata.timestamp->time_since_epoch())
          .count();
  auto micros = nanos / 1000 - (nanos % 1000 < 0 ? 1 : 0);  // floor, also before 1970
  return {std::to_string(micros), std::to_string(nanos - micros * 1000)};
}

ConnectionSettings settingsFrom(const sdk::StorageContext& context, std::size_t& poolSize,
                                std::string& schema) {
  sdk::OptionReader reader(context.options, "storage plugin 'postgres'");
  ConnectionSettings settings;
  settings.conninfo = reader.getString("conninfo", "");
  schema = reader.getString("schema", "opossum");
  settings.lockTimeout = std::chrono::milliseconds(reader.getUnsigned(
      "lockTimeoutMs", static_cast<std::uint64_t>(context.crossProcessLockTimeout.count())));
  settings.statementTimeout =
      std::chrono::milliseconds(reader.getUnsigned("statementTimeoutMs", 0));
  settings.connectTimeoutSeconds =
      static_cast<unsigned>(reader.getUnsigned("connectTimeoutSeconds", 10));
  poolSize = static_cast<std::size_t>(reader.getUnsigned("poolSize", 4));
  reader.finish();
  settings.synchronousCommit = context.flushEventsImmediately;
  if (context.writeProtectEventFiles) {
    throw ConfigError(
        "store.writeProtectEventFiles does not apply to the postgres storage (it keeps no event "
        "files); leave it false");
  }
  if (const char* fromEnvironment = std::getenv("OPOSSUM_POSTGRES_CONNINFO");
      fromEnvironment != nullptr && *fromEnvironment != '\0') {
    settings.conninfo = fromEnvironment;
  }
  if (settings.conninfo.empty()) {
    throw ConfigError(
        "storage plugin 'postgres' needs plugins.storage.conninfo (a libpq connection string or "
        "URI) or OPOSSUM_POSTGRES_CONNINFO");
  }
  if (schema.empty() || schema.size() > 63 ||
      !std::all_of(
          schema.begin(), schema.end(),
          [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }) ||
      (schema[0] >= '0' && schema[0] <= '9')) {
    throw ConfigError("plugins.storage.schema '" + schema +
                      "' must be 1 to 63 lower-case letters, digits and '_', not starting with a "
                      "digit");
  }
  if (poolSize == 0) throw ConfigError("plugins.storage.poolSize must be at least 1");
  return settings;
}

}  // namespace

PostgresStorage::PostgresStorage(const sdk::StorageContext& context)
    : storeName_(context.storeDirectory.filename().string()),
      tables_("opossum"),
      logger_(context.logger) {
  std::size_t poolSize = 0;
  std::string schema;
  ConnectionSettings settings = settingsFrom(context, poolSize, schema);
  tables_ = Tables(schema);
  pool_ = std::make_unique<ConnectionPool>(std::move(settings), poolSize);
  maintenance_ = std::make_unique<PostgresMaintenance>(*this);
  projections_ = std::make_unique<PostgresProjectionStates>(*this);
  if (context.purpose == sdk::StoragePurpose::maintenance) return;
  auto connection = pool_->acquire();
  ensureSchema(*connection, tables_);
  connection->exec("INSERT INTO " + tables_.stores + " (name) VALUES ($1) ON CONFLICT DO NOTHING",
                   {storeName_});
  storeId_ = findStore(*connection);
  if (!storeId_) throw IoError("PostgreSQL store '" + storeName_ + "' could not be created");
}

std::optional<long long> PostgresStorage::findStore(Connection& connection) {
  if (schemaVersion(connection, tables_) == 0) return std::nullopt;
  Result row =
      connection.exec("SELECT id FROM " + tables_.stores + " WHERE name = $1", {storeName_});
  if (row.rows() == 0) return std::nullopt;
  return row.integer(0, 0);
}

long long PostgresStorage::storeId() {
  if (!storeId_) throw IoError("PostgreSQL store '" + storeName_ + "' is not open");
  return *storeId_;
}

Position PostgresStorage::lockHead(Connection& connection, long long id, std::stop_token cancel) {
  Result row = connection.exec(tables_.lockHead, {std::to_string(id)}, cancel);
  if (row.rows() == 0) {
    throw CorruptionError("PostgreSQL store '" + storeName_ + "' has lost its row in " +
                          tables_.stores);
  }
  return static_cast<Position>(row.integer(0, 0));
}

Statement PostgresStorage::appendStatement(long long id, const sdk::AppendRequest& request) {
  const std::vector<NewEvent>& events = *request.events;
  std::vector<Param> types, tags, payloads, micros, nanos, correlations, causations, operations,
      users, tagKeys, tagValues, tagOrdinals;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const NewEvent& e = events[i];
    types.emplace_back(e.event.eventType);
    tags.emplace_back(tagsJson(e.event.tags));
    payloads.emplace_back(e.event.event);
    auto [micro, nano] = timestampParts(e.metadata);
    micros.push_back(std::move(micro));
    nanos.push_back(std::move(nano));
    correlations.push_back(e.metadata.correlationId);
    causations.push_back(e.metadata.causationId);
    operations.push_back(e.metadata.operationId);
    users.push_back(e.metadata.userId);
    for (const auto& tag : e.event.tags) {
      tagKeys.emplace_back(tag.key);
      tagValues.emplace_back(tag.value);
      tagOrdinals.emplace_back(std::to_string(i + 1));
    }
  }
  std::vector<Param> params{std::to_string(id), std::to_string(events.size())};
  // One statement: the condition's first match, the head moved past the events unless there is
  // one, the events and their tags at the positions after the old head. It runs after the row
  // lock was taken, so its snapshot holds every commit before ours (and our earlier requests).
  std::string sql = "WITH ";
  std::string noConflict = "TRUE";
  if (request.condition != nullptr) {
    const AppendCondition& condition = *request.condition;
    sql += "conflict AS (" + firstConflict(condition, tables_, params) + "), ";
    noConflict = "NOT EXISTS (SELECT 1 FROM conflict)";
  }
  auto array = [&](const std::vector<Param>& values, const char* type) {
    return bind(params, arrayLiteral(values)) + "::" + type + "[]";
  };
  sql += "moved AS (UPDATE " + tables_.stores + " SET head = head + $2 WHERE id = $1 AND " +
         noConflict + " RETURNING head - $2 AS base), ";
  sql += "written AS (INSERT INTO " + tables_.events +
         " (store_id, position, event_type, tags, payload, occurred_at, occurred_at_nanos,"
         " correlation_id, causation_id, operation_id, user_id)"
         " SELECT $1, m.base + u.n, u.event_type, u.tags, u.payload,"
         " timestamptz 'epoch' + u.micros * interval '1 microsecond', u.nanos, u.c, u.ca, u.o, u.us"
         " FROM moved m, unnest(" +
         array(types, "text") + ", " + array(tags, "json") + ", " + array(payloads, "json") + ", " +
         array(micros, "bigint") + ", " + array(nanos, "smallint") + ", " +
         array(correlations, "text") + ", " + array(causations, "text") + ", " +
         array(operations, "text") + ", " + array(users, "text") +
         ") WITH ORDINALITY AS u(event_type, tags, payload, micros, nanos, c, ca, o, us, n)), ";
  sql += "tagged AS (INSERT INTO " + tables_.tags +
         " (store_id, key, value, position) SELECT $1, t.key, t.value, m.base + t.n FROM moved m,"
         " unnest(" +
         array(tagKeys, "text") + ", " + array(tagValues, "text") + ", " +
         array(tagOrdinals, "bigint") + ") AS t(key, value, n)) ";
  sql += std::string("SELECT (SELECT base FROM moved), ") +
         (request.condition != nullptr ? "(SELECT position FROM conflict)" : "NULL::bigint");
  return Statement{std::move(sql), std::move(params)};
}

std::vector<sdk::AppendResult> PostgresStorage::append(std::span<const sdk::AppendRequest> requests,
                                                       std::stop_token cancel) {
  const long long id = storeId();
  // The whole group in one round trip: BEGIN, the row lock, one statement per request, COMMIT.
  std::vector<Statement> statements;
  statements.push_back({"BEGIN", {}});
  statements.push_back({tables_.lockHead, {std::to_string(id)}});
  for (const auto& request : requests) statements.push_back(appendStatement(id, request));
  statements.push_back({"COMMIT", {}});
  auto connection = pool_->acquire();
  std::vector<Result> rows;
  bool sent = false;
  try {
    rows = connection->execAll(statements, cancel, sent);
  } catch (const Error& e) {
    rollbackQuietly(*connection);
    if (sent && !connection->connected()) throw unknownOutcome(e);
    throw;
  }
  if (rows[1].rows() == 0) {
    throw CorruptionError("PostgreSQL store '" + storeName_ + "' has lost its row in " +
                          tables_.stores);
  }
  std::vector<sdk::AppendResult> results(requests.size());
  for (std::size_t r = 0; r < requests.size(); ++r) {
    const Result& row = rows[r + 2];
    if (!row.isNull(0, 0)) {
      results[r].committed = true;
      results[r].lastPosition =
          static_cast<Position>(row.integer(0, 0)) + requests[r].events->size();
    } else {
      results[r].conflict =
          "an event at position " + row.text(0, 1) + " matches failIfEventsMatch after position " +
          std::to_string(requests[r].condition->afterSequencePosition.value_or(0));
    }
  }
  return results;
}

std::vector<SequencedEvent> PostgresStorage::read(const Query& query, const ReadOptions& options) {
  const long long id = storeId();
  Statement statement = readStatement(id, query, options, tables_);
  auto connection = pool_->acquire();
  Result rows = connection->exec(statement.sql, statement.params);
  std::vector<SequencedEvent> events;
  events.reserve(static_cast<std::size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) events.push_back(rowToEvent(rows, i));
  return events;
}

std::optional<SequencedEvent> PostgresStorage::readLast(const Query& query) {
  auto events = read(query, ReadOptions{true, std::nullopt, 1});
  if (events.empty()) return std::nullopt;
  return std::move(events.front());
}

Position PostgresStorage::head() {
  const long long id = storeId();
  auto connection = pool_->acquire();
  Result row = connection->exec("SELECT head FROM " + tables_.stores + " WHERE id = $1",
                                {std::to_string(id)});
  if (row.rows() == 0) {
    throw CorruptionError("PostgreSQL store '" + storeName_ + "' has lost its row in " +
                          tables_.stores);
  }
  return static_cast<Position>(row.integer(0, 0));
}

void PostgresStorage::deleteStore(std::stop_token cancel) {
  const long long id = storeId();
  const std::string key = std::to_string(id);
  auto connection = pool_->acquire();
  inTransaction(*connection, cancel, [&] {
    lockHead(*connection, id, cancel);
    connection->exec("DELETE FROM " + tables_.tags + " WHERE store_id = $1", {key}, cancel);
    connection->exec("DELETE FROM " + tables_.projectionInstances + " WHERE store_id = $1", {key},
                     cancel);
    connection->exec("DELETE FROM " + tables_.projectionRecords + " WHERE store_id = $1", {key},
                     cancel);
    connection->exec("DELETE FROM " + tables_.events + " WHERE store_id = $1", {key}, cancel);
    connection->exec("UPDATE " + tables_.stores + " SET head = 0 WHERE id = $1", {key}, cancel);
  });
}

TagMigrationResult PostgresStorage::addTags(
    const std::string& eventType,
    const std::function<std::vector<Tag>(const SequencedEvent&)>& tagFactory,
    std::stop_token cancel) {
  const long long id = storeId();
  const std::string key = std::to_string(id);
  auto connection = pool_->acquire();
  return inTransaction(*connection, cancel, [&] {
    // Writers wait meanwhile, so every event of the type gets its tags in this one transaction.
    lockHead(*connection, id, cancel);
    TagMigrationResult result;
    Position after = 0;
    constexpr int kBatch = 1000;
    for (;;) {
      Result rows =
          connection->exec(std::string("SELECT ") + kEventColumns + " FROM " + tables_.events +
                               " e WHERE e.store_id = $1 AND e.event_type = $2"
                               " AND e.position > $3 ORDER BY e.position LIMIT " +
                               std::to_string(kBatch),
                           {key, eventType, std::to_string(after)}, cancel);
      std::vector<Param> positions, allTags, keys, values, tagPositions;
      for (int i = 0; i < rows.rows(); ++i) {
        SequencedEvent event = rowToEvent(rows, i);
        after = event.position;
        ++result.eventsProcessed;
        std::vector<Tag> tags = event.event.tags;
        bool changed = false;
        for (Tag& tag : tagFactory(event)) {
          bool known =
              std::any_of(tags.begin(), tags.end(), [&](const Tag& t) { return t.key == tag.key; });
          if (known) continue;
          keys.emplace_back(tag.key);
          values.emplace_back(tag.value);
          tagPositions.emplace_back(std::to_string(event.position));
          tags.push_back(std::move(tag));
          ++result.tagsAdded;
          changed = true;
        }
        if (!changed) continue;
        positions.emplace_back(std::to_string(event.position));
        allTags.emplace_back(tagsJson(tags));
      }
      if (!positions.empty()) {
        connection->exec(
            "UPDATE " + tables_.events +
                " e SET tags = u.tags FROM unnest($2::bigint[], $3::json[])"
                " AS u(position, tags) WHERE e.store_id = $1 AND e.position = u.position",
            {key, arrayLiteral(positions), arrayLiteral(allTags)}, cancel);
        connection->exec(
            "INSERT INTO " + tables_.tags +
                " (store_id, key, value, position)"
                " SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[])",
            {key, arrayLiteral(keys), arrayLiteral(values), arrayLiteral(tagPositions)}, cancel);
      }
      if (rows.rows() < kBatch) break;
    }
    return result;
  });
}

void* PostgresStorage::capability(sdk::Capability id) {
  if (id == sdk::Capability::storageMaintenance) return maintenance_.get();
  if (id == sdk::Capability::projectionStates) return projections_.get();
  return nullptr;
}

}  // namespace opossum::plugins::postgres
