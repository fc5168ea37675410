// The plugin's tables, created and migrated by the plugin itself. One schema holds many stores;
// a store is a row of `stores`, its events rows of `events`, and `tags` lists the positions of
// each tag (what tag queries and append conditions look up); projections keep their instances in
// `projection_instances` and their checkpoints in `projection_records` (version 2).
#pragma once

#include <string>

#include "connection.hpp"

namespace opossum::plugins::postgres {

inline constexpr int kSchemaVersion = 2;

// Qualified table names of one schema.
struct Tables {
  explicit Tables(const std::string& schema);
  std::string schema;  // as given
  std::string quoted;  // "schema"
  std::string versions, stores, events, tags, projectionInstances, projectionRecords;
  // Locks store $1's row until the transaction ends and gives its head: what serialises writers.
  std::string lockHead;
};

// Creates the schema and its tables when missing and brings an older version up to date, under
// an advisory lock so that processes opening stores at once do not race. ConfigError when the
// schema is of a newer version than this plugin knows.
void ensureSchema(Connection& connection, const Tables& tables);

// The recorded schema version; 0 when the schema has no tables of ours.
int schemaVersion(Connection& connection, const Tables& tables);

}  // namespace opossum::plugins::postgres
