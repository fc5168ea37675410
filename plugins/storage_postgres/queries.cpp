#include "queries.hpp"

#include <algorithm>
#include <utility>

namespace opossum::plugins::postgres {

const char* const kEventColumns =
    "e.position, e.event_type, e.tags, e.payload,"
    " (extract(epoch from e.occurred_at) * 1000000)::bigint * 1000 + e.occurred_at_nanos,"
    " e.correlation_id, e.causation_id, e.operation_id, e.user_id";

std::string bind(std::vector<Param>& params, std::string value) {
  params.emplace_back(std::move(value));
  return "$" + std::to_string(params.size());
}

std::string positionsMatching(const Query& query, const Scan& scan, const Tables& tables,
                              std::vector<Param>& params) {
  const std::string order = scan.descending ? " DESC" : "";
  const std::string after = scan.after ? bind(params, std::to_string(*scan.after)) : "";
  const std::string limit =
      scan.limit ? " LIMIT " + bind(params, std::to_string(*scan.limit)) : std::string();
  std::vector<std::string> parts;
  for (const auto& item : query.items()) {
    if (item.tags.empty()) {
      // One part per type: each is an ordered range of events_by_type.
      for (const auto& type : item.eventTypes) {
        parts.push_back("SELECT e0.position FROM " + tables.events +
                        " e0 WHERE e0.store_id = $1 AND e0.event_type = " + bind(params, type) +
                        (scan.after ? " AND e0.position > " + after : "") +
                        " ORDER BY e0.position" + order + limit);
      }
      continue;
    }
    std::string part = "SELECT t0.position FROM " + tables.tags + " t0";
    for (std::size_t i = 1; i < item.tags.size(); ++i) {
      const std::string t = "t" + std::to_string(i);
      part += " JOIN " + tables.tags + " " + t + " ON " + t + ".store_id = $1 AND " + t +
              ".key = " + bind(params, item.tags[i].key) + " AND " + t +
              ".value = " + bind(params, item.tags[i].value) + " AND " + t +
              ".position = t0.position" + (scan.after ? " AND " + t + ".position > " + after : "");
    }
    if (!item.eventTypes.empty()) {
      std::vector<Param> types(item.eventTypes.begin(), item.eventTypes.end());
      part += " JOIN " + tables.events +
              " e0 ON e0.store_id = $1 AND e0.position = t0.position AND e0.event_type = ANY(" +
              bind(params, arrayLiteral(types)) + "::text[])" +
              (scan.after ? " AND e0.position > " + after : "");
    }
    part += " WHERE t0.store_id = $1 AND t0.key = " + bind(params, item.tags[0].key) +
            " AND t0.value = " + bind(params, item.tags[0].value) +
            (scan.after ? " AND t0.position > " + after : "") + " ORDER BY t0.position" + order +
            limit;
    parts.push_back(std::move(part));
  }
  if (parts.size() == 1) return parts.front();
  std::string out = "SELECT u.p AS position FROM (";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    out += (i == 0 ? "(" : " UNION (") + parts[i] + ")";  // an event matching two items once
  }
  return out + ") AS u(p)";
}

std::string firstConflict(const AppendCondition& condition, const Tables& tables,
                          std::vector<Param>& params) {
  const Position after = condition.afterSequencePosition.value_or(0);
  if (condition.failIfEventsMatch.matchesEverything()) {
    return "SELECT e.position FROM " + tables.events +
           " e WHERE e.store_id = $1 AND e.position > " + bind(params, std::to_string(after)) +
           " ORDER BY e.position LIMIT 1";
  }
  return "SELECT c.p AS position FROM (" +
         positionsMatching(condition.failIfEventsMatch, Scan{after, false, 1}, tables, params) +
         ") AS c(p) ORDER BY c.p LIMIT 1";
}

Statement readStatement(long long storeId, const Query& query, const ReadOptions& options,
                        const Tables& tables) {
  std::vector<Param> params{std::to_string(storeId)};
  std::string sql;
  if (query.matchesEverything()) {
    sql = std::string("SELECT ") + kEventColumns + " FROM " + tables.events +
          " e WHERE e.store_id = $1";
    if (options.fromPosition) {
      sql += " AND e.position > " + bind(params, std::to_string(*options.fromPosition));
    }
  } else {
    const std::string positions = positionsMatching(
        query, Scan{options.fromPosition, options.descending, options.maxCount}, tables, params);
    const bool byTypeOnly = std::any_of(query.items().begin(), query.items().end(),
                                        [](const QueryItem& item) { return item.tags.empty(); });
    if (!byTypeOnly) {
      sql = std::string("SELECT ") + kEventColumns + " FROM " + tables.events +
            " e WHERE e.store_id = $1 AND e.position IN (" + positions + ")";
    } else {
      // The planner would walk the events in position order and test each against the positions
      // of a type, which for a rare type means most of the store: the positions come first,
      // behind a fence, then one primary-key probe each (OFFSET 0 keeps it a nested loop).
      sql = "WITH m AS MATERIALIZED (" + positions + ") SELECT " + kEventColumns +
            " FROM m CROSS JOIN LATERAL (SELECT * FROM " + tables.events +
            " x WHERE x.store_id = $1 AND x.position = m.position OFFSET 0) e";
    }
  }
  sql += options.descending ? " ORDER BY e.position DESC" : " ORDER BY e.position";
  if (options.maxCount) sql += " LIMIT " + bind(params, std::to_string(*options.maxCount));
  return Statement{std::move(sql), std::move(params)};
}

}  // namespace opossum::plugins::postgres
