// Queries and append conditions (DCB): items are OR-combined; inside an item the event types are
// OR-ed and the tags AND-ed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "opossum/export.hpp"
#include "opossum/types.hpp"

namespace opossum {

struct QueryItem {
  std::vector<std::string> eventTypes;  // empty: any type
  std::vector<Tag> tags;                // every one required
  friend bool operator==(const QueryItem&, const QueryItem&) = default;
  OPOSSUM_EXPORT bool matches(const DomainEvent& event) const;
};

class OPOSSUM_EXPORT Query {
 public:
  Query() = default;  // matches every event, like Query::all()
  static Query all();
  static Query fromEventTypes(std::vector<std::string> types);
  static Query fromTags(std::vector<Tag> tags);
  static Query fromItems(std::vector<QueryItem> items);

  const std::vector<QueryItem>& items() const { return items_; }
  // True when the query has no item or an item without types and tags.
  bool matchesEverything() const;
  bool matches(const DomainEvent& event) const;
  friend bool operator==(const Query&, const Query&) = default;

 private:
  std::vector<QueryItem> items_;
};

struct AppendCondition {
  Query failIfEventsMatch;
  std::optional<Position> afterSequencePosition;
  friend bool operator==(const AppendCondition&, const AppendCondition&) = default;
};

}  // namespace opossum
