#include "opossum/query.hpp"

#include <algorithm>

namespace opossum {

bool QueryItem::matches(const DomainEvent& event) const {
  if (!eventTypes.empty() &&
      std::find(eventTypes.begin(), eventTypes.end(), event.eventType) == eventTypes.end()) {
    return false;
  }
  return std::all_of(tags.begin(), tags.end(), [&](const Tag& wanted) {
    return std::find(event.tags.begin(), event.tags.end(), wanted) != event.tags.end();
  });
}

Query Query::all() { return Query(); }

Query Query::fromEventTypes(std::vector<std::string> types) {
  Query query;
  query.items_.push_back(QueryItem{std::move(types), {}});
  return query;
}

Query Query::fromTags(std::vector<Tag> tags) {
  Query query;
  query.items_.push_back(QueryItem{{}, std::move(tags)});
  return query;
}

Query Query::fromItems(std::vector<QueryItem> items) {
  Query query;
  query.items_ = std::move(items);
  return query;
}

bool Query::matchesEverything() const {
  return items_.empty() || std::any_of(items_.begin(), items_.end(), [](const QueryItem& item) {
           return item.eventTypes.empty() && item.tags.empty();
         });
}

bool Query::matches(const DomainEvent& event) const {
  return items_.empty() || std::any_of(items_.begin(), items_.end(),
                                       [&](const QueryItem& item) { return item.matches(event); });
}

}  // namespace opossum
