#include "postgres_maintenance.hpp"

#include "opossum/errors.hpp"
#include "postgres_storage.hpp"

namespace opossum::plugins::postgres {

namespace {

struct Shape {
  Position head = 0;
  long long count = 0;
  long long first = 0;
  long long last = 0;
};

Shape shapeOf(Connection& connection, const Tables& tables, long long id) {
  const std::string key = std::to_string(id);
  Shape shape;
  Result head = connection.exec("SELECT head FROM " + tables.stores + " WHERE id = $1", {key});
  if (head.rows() > 0) shape.head = static_cast<Position>(head.integer(0, 0));
  Result events = connection.exec(
      "SELECT count(*), coalesce(min(position), 0),"
      " coalesce(max(position), 0) FROM " +
          tables.events + " WHERE store_id = $1",
      {key});
  shape.count = events.integer(0, 0);
  shape.first = events.integer(0, 1);
  shape.last = events.integer(0, 2);
  return shape;
}

// (position, key, value) of every tag of store $1's events, as the events hold them.
std::string eventTags(const Tables& tables) {
  return "SELECT e.position, j.key, j.value FROM " + tables.events +
         " e, json_each_text(e.tags) j WHERE e.store_id = $1";
}

// Rows of `tags` that no event has, and tags of events that `tags` lacks: at most ten of each.
std::vector<sdk::Problem> tagProblems(Connection& connection, const Tables& tables, long long id) {
  const std::string fromEvents = eventTags(tables);
  const std::string fromTags =
      "SELECT position, key, value FROM " + tables.tags + " WHERE store_id = $1";
  std::vector<sdk::Problem> problems;
  auto report = [&](const std::string& sql, const std::string& what) {
    Result rows = connection.exec(sql + " ORDER BY 1 LIMIT 10", {std::to_string(id)});
    for (int i = 0; i < rows.rows(); ++i) {
      problems.push_back({tables.schema + ".tags", static_cast<Position>(rows.integer(i, 0)),
                          "tag " + rows.text(i, 1) + "=" + rows.text(i, 2) + " " + what});
    }
  };
  report(fromEvents + " EXCEPT " + fromTags, "of the event is missing from the tags table");
  report(fromTags + " EXCEPT " + fromEvents, "is listed but the event does not have it");
  return problems;
}

// Fills the tags table of store `key` again from its events' tags.
void rebuildTags(Connection& connection, const Tables& tables, const std::string& key) {
  connection.exec("DELETE FROM " + tables.tags + " WHERE store_id = $1", {key});
  connection.exec("INSERT INTO " + tables.tags +
                      " (position, key, value, store_id) SELECT t.*, $1 FROM (" +
                      eventTags(tables) + ") t",
                  {key});
}

}  // namespace

bool PostgresMaintenance::exists() {
  auto connection = storage_.pool().acquire();
  return storage_.findStore(*connection).has_value();
}

sdk::CheckReport PostgresMaintenance::check(const sdk::Progress& progress) {
  auto connection = storage_.pool().acquire();
  const Tables& tables = storage_.tables();
  sdk::CheckReport report;
  int version = schemaVersion(*connection, tables);
  if (version != kSchemaVersion) {
    report.problems.push_back({tables.schema + ".schema_version", std::nullopt,
                               "schema version " + std::to_string(version) + ", expected " +
                                   std::to_string(kSchemaVersion)});
    return report;
  }
  auto id = storage_.findStore(*connection);
  if (!id) {
    report.problems.push_back(
        {tables.schema + ".stores", std::nullopt, "no store named '" + storage_.storeName() + "'"});
    return report;
  }
  // One snapshot for every check.
  inTransaction(*connection, {}, [&] {
    connection->exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    Shape shape = shapeOf(*connection, tables, *id);
    report.head = shape.head;
    report.eventsRead = static_cast<std::uint64_t>(shape.count);
    const std::string events = tables.schema + ".events";
    if (shape.last > static_cast<long long>(shape.head)) {
      report.problems.push_back({events, static_cast<Position>(shape.last),
                                 "events after the head " + std::to_string(shape.head)});
    }
    if (shape.count != static_cast<long long>(shape.head) ||
        (shape.count > 0 && shape.first != 1)) {
      report.problems.push_back({events, std::nullopt,
                                 std::to_string(shape.count) + " events from " +
                                     std::to_string(shape.first) + " to " +
                                     std::to_string(shape.last) + ", but the head is " +
                                     std::to_string(shape.head) + ": positions are missing"});
    }
    for (auto& problem : tagProblems(*connection, tables, *id)) {
      report.problems.push_back(std::move(problem));
    }
  });
  if (progress) progress(report.head, report.head);
  return report;
}

sdk::RepairReport PostgresMaintenance::repair(const sdk::RepairOptions& options,
                                              const sdk::Progress& progress) {
  sdk::RepairReport report;
  auto connection = storage_.pool().acquire();
  auto id = storage_.findStore(*connection);
  if (!id) throw IoError("PostgreSQL store '" + storage_.storeName() + "' does not exist");
  const Tables& tables = storage_.tables();
  const std::string key = std::to_string(*id);
  inTransaction(*connection, {}, [&] {
    connection->exec(tables.lockHead, {key});
    Shape shape = shapeOf(*connection, tables, *id);
    bool gapless = shape.count == shape.last && (shape.count == 0 || shape.first == 1);
    Position keep = static_cast<Position>(shape.last);
    if (!gapless) {
      // The first missing position: events after it cannot keep their positions.
      Result gap = connection->exec(
          "SELECT coalesce(min(position + 1), 1) FROM " + tables.events +
              " e WHERE store_id = $1 AND NOT EXISTS (SELECT 1 FROM " + tables.events +
              " n WHERE n.store_id = e.store_id AND n.position = e.position + 1)"
              " AND position < $2",
          {key, std::to_string(shape.last)});
      Position missing = static_cast<Position>(gap.integer(0, 0));
      if (shape.first != 1) missing = 1;
      report.lost.push_back("position " + std::to_string(missing) + " is missing; " +
                            std::to_string(shape.last - static_cast<long long>(missing) + 1) +
                            " positions from it on cannot keep their place");
      if (!options.truncateAtGap) return;
      // Nothing is deleted: the events after the gap move to a table aside.
      const std::string aside = tables.quoted + ".events_aside";
      connection->exec("CREATE TABLE IF NOT EXISTS " + aside + " (LIKE " + tables.events + ")");
      connection->exec("INSERT INTO " + aside + " SELECT * FROM " + tables.events +
                           " WHERE store_id = $1 AND position >= $2",
                       {key, std::to_string(missing)});
      connection->exec("DELETE FROM " + tables.events + " WHERE store_id = $1 AND position >= $2",
                       {key, std::to_string(missing)});
      report.asideLocation = tables.schema + ".events_aside";
      report.actions.push_back("moved the events from position " + std::to_string(missing) +
                               " on to " + report.asideLocation);
      keep = missing - 1;
    }
    if (keep != shape.head) {
      connection->exec("UPDATE " + tables.stores + " SET head = $2 WHERE id = $1",
                       {key, std::to_string(keep)});
      report.actions.push_back("set the head from " + std::to_string(shape.head) + " to " +
                               std::to_string(keep));
    }
    if (!tagProblems(*connection, tables, *id).empty()) {
      rebuildTags(*connection, tables, key);
      report.actions.push_back("rebuilt the tags table from the events");
    }
    report.head = keep;
    report.changed = !report.actions.empty();
  });
  if (progress) progress(report.head, report.head);
  return report;
}

sdk::ReindexReport PostgresMaintenance::reindex(std::size_t batch, const sdk::Progress& progress) {
  (void)batch;  // one statement rebuilds it inside the server
  auto connection = storage_.pool().acquire();
  auto id = storage_.findStore(*connection);
  if (!id) throw IoError("PostgreSQL store '" + storage_.storeName() + "' does not exist");
  const Tables& tables = storage_.tables();
  const std::string key = std::to_string(*id);
  sdk::ReindexReport report;
  inTransaction(*connection, {}, [&] {
    connection->exec(tables.lockHead, {key});
    rebuildTags(*connection, tables, key);
    Result counts =
        connection->exec("SELECT (SELECT count(*) FROM " + tables.events +
                             " WHERE store_id = $1),"
                             " (SELECT count(DISTINCT event_type) FROM " +
                             tables.events +
                             " WHERE store_id = $1),"
                             " (SELECT count(*) FROM (SELECT DISTINCT key, value FROM " +
                             tables.tags + " WHERE store_id = $1) d)",
                         {key});
    report.events = static_cast<Position>(counts.integer(0, 0));
    report.eventTypes = static_cast<std::size_t>(counts.integer(0, 1));
    report.tags = static_cast<std::size_t>(counts.integer(0, 2));
  });
  if (progress) progress(report.events, report.events);
  return report;
}

std::optional<std::string> PostgresMaintenance::property(const std::string& name) {
  auto connection = storage_.pool().acquire();
  const Tables& tables = storage_.tables();
  if (name == "location") {
    return connection->where() + " schema " + tables.schema + " store " + storage_.storeName();
  }
  if (name == "serializerFormat") return "";  // rows, not serialized files
  if (name == "schemaVersion") return std::to_string(schemaVersion(*connection, tables));
  auto id = storage_.findStore(*connection);
  if (name == "head") {
    if (!id) return "0";
    Result row = connection->exec("SELECT head FROM " + tables.stores + " WHERE id = $1",
                                  {std::to_string(*id)});
    return row.rows() > 0 ? row.text(0, 0) : "0";
  }
  if (name == "bytes") {
    if (!id) return "0";
    // The store's share of each table (heap, TOAST and indexes), by its share of the rows.
    auto share = [&](const std::string& table) {
      return "(SELECT CASE WHEN total = 0 THEN 0 ELSE pg_total_relation_size('" + table +
             "') * mine / total END FROM (SELECT count(*) FILTER (WHERE store_id = $1) AS mine,"
             " count(*) AS total FROM " +
             table + ") c)";
    };
    Result row = connection->exec(
        "SELECT (" + share(tables.events) + " + " + share(tables.tags) + ")::bigint",
        {std::to_string(*id)});
    return row.text(0, 0);
  }
  return std::nullopt;
}

std::vector<std::string> PostgresMaintenance::propertyNames() {
  return {"head", "serializerFormat", "bytes", "location", "schemaVersion"};
}

}  // namespace opossum::plugins::postgres
