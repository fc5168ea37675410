#include "schema.hpp"

#include "opossum/errors.hpp"

namespace opossum::plugins::postgres {

Tables::Tables(const std::string& name)
    : schema(name),
      quoted(quoteIdentifier(name)),
      versions(quoted + ".schema_version"),
      stores(quoted + ".stores"),
      events(quoted + ".events"),
      tags(quoted + ".tags"),
      projectionInstances(quoted + ".projection_instances"),
      projectionRecords(quoted + ".projection_records"),
      lockHead("SELECT head FROM " + stores + " WHERE id = $1 FOR UPDATE") {}

int schemaVersion(Connection& connection, const Tables& tables) {
  Result exists =
      connection.exec("SELECT to_regclass($1) IS NOT NULL", {tables.quoted + ".schema_version"});
  if (exists.text(0, 0) != "t") return 0;
  Result version = connection.exec("SELECT max(version) FROM " + tables.versions);
  return version.isNull(0, 0) ? 0 : static_cast<int>(version.integer(0, 0));
}

namespace {

// The tables of events: stores, events, tags.
void createVersionOne(Connection& connection, const Tables& tables) {
  // Version 1. Payloads are `json` (kept as written), tags a JSON object in the order given;
  // occurred_at_nanos keeps the nanoseconds a timestamptz (microseconds) cannot.
  connection.exec("CREATE SCHEMA IF NOT EXISTS " + tables.quoted);
  connection.exec("CREATE TABLE " + tables.versions +
                  " (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
  connection.exec("CREATE TABLE " + tables.stores +
                  " (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE,"
                  " head bigint NOT NULL DEFAULT 0,"
                  " created_at timestamptz NOT NULL DEFAULT now())");
  connection.exec("CREATE TABLE " + tables.events + " (store_id bigint NOT NULL REFERENCES " +
                  tables.stores +
                  " (id), position bigint NOT NULL, event_type text NOT NULL,"
                  " tags json NOT NULL, payload json NOT NULL, occurred_at timestamptz,"
                  " occurred_at_nanos smallint,"
                  " correlation_id text, causation_id text, operation_id text, user_id text,"
                  " PRIMARY KEY (store_id, position))");
  connection.exec("CREATE INDEX events_by_type ON " + tables.events +
                  " (store_id, event_type, position)");
  connection.exec("CREATE TABLE " + tables.tags +
                  " (store_id bigint NOT NULL, key text NOT NULL, value text NOT NULL,"
                  " position bigint NOT NULL, PRIMARY KEY (store_id, key, value, position))");
  connection.exec("INSERT INTO " + tables.versions + " (version) VALUES (1)");
}

}  // namespace

void ensureSchema(Connection& connection, const Tables& tables) {
  inTransaction(connection, {}, [&] {
    connection.exec("SELECT pg_advisory_xact_lock(hashtext($1))",
                    {"opossum schema " + tables.schema});
    int version = schemaVersion(connection, tables);
    if (version > kSchemaVersion) {
      throw ConfigError("PostgreSQL schema '" + tables.schema + "' is of version " +
                        std::to_string(version) + "; this plugin knows up to version " +
                        std::to_string(kSchemaVersion) + ": use a newer plugin");
    }
    if (version == kSchemaVersion) return;
    if (version < 1) createVersionOne(connection, tables);
    // Version 2: projection state (the storage's projection-state capability). A projection's
    // instances per generation, its tags as a jsonb array of {"k","v"} objects (found by
    // containment through the GIN index), its state as written; and the records (checkpoint,
    // rebuild) written in the same transaction as a batch of instances.
    connection.exec(
        "CREATE TABLE " + tables.projectionInstances + " (store_id bigint NOT NULL REFERENCES " +
        tables.stores +
        " (id), projection text NOT NULL, generation bigint NOT NULL, key text NOT NULL,"
        " tags jsonb NOT NULL, state json NOT NULL,"
        " PRIMARY KEY (store_id, projection, generation, key))");
    connection.exec("CREATE INDEX projection_instances_by_tags ON " + tables.projectionInstances +
                    " USING gin (tags jsonb_path_ops)");
    connection.exec("CREATE TABLE " + tables.projectionRecords +
                    " (store_id bigint NOT NULL REFERENCES " + tables.stores +
                    " (id), projection text NOT NULL, kind text NOT NULL, content text NOT NULL,"
                    " PRIMARY KEY (store_id, projection, kind))");
    connection.exec("INSERT INTO " + tables.versions + " (version) VALUES (2)");
  });
}

}  // namespace opossum::plugins::postgres
