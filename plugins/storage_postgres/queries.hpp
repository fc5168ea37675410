// The SQL that finds events: reads, and the first event an append condition fails on. Every part
// is driven by an index that yields positions in order from where the scan starts, so its cost
// follows the rows it returns, not how many events carry a tag or a type.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "connection.hpp"
#include "opossum/query.hpp"
#include "opossum/types.hpp"
#include "schema.hpp"

namespace opossum::plugins::postgres {

// Columns of an event row `e`, in the order the storage reads them.
extern const char* const kEventColumns;

// Appends `value` as the next parameter; its placeholder ($N).
std::string bind(std::vector<Param>& params, std::string value);

// Which positions of the store $1 to look at, in which order, and how many at most.
struct Scan {
  std::optional<Position> after;  // exclusive
  bool descending = false;
  std::optional<std::size_t> limit;
};

// The positions of the store's events matching `query` (not matchesEverything()) within `scan`,
// as a subquery of one column, `position`: per query item, a tag's postings (the tags primary key)
// joined to the item's other tags and types, or, for an item of types only, one ordered range of
// events_by_type per type.
std::string positionsMatching(const Query& query, const Scan& scan, const Tables& tables,
                              std::vector<Param>& params);

// A query of one row and column `position`: the first position after the condition's position that
// matches its query, or no row. $1 is the store id.
std::string firstConflict(const AppendCondition& condition, const Tables& tables,
                          std::vector<Param>& params);

// The events of store `storeId` that `query` and `options` select, kEventColumns, in order.
Statement readStatement(long long storeId, const Query& query, const ReadOptions& options,
                        const Tables& tables);

}  // namespace opossum::plugins::postgres
