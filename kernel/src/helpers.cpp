#include "opossum/helpers.hpp"

#include <utility>

namespace opossum {

NewEvent toNewEvent(std::string type, std::string json, std::vector<Tag> tags, Metadata metadata) {
  return NewEvent{DomainEvent{std::move(type), std::move(json), std::move(tags)},
                  std::move(metadata)};
}

Position appendOne(EventStore& store, const NewEvent& event,
                   const std::optional<AppendCondition>& condition, std::stop_token cancel) {
  return store.append({event}, condition, std::move(cancel));
}

Position appendEvents(EventStore& store, const std::vector<NewEvent>& events,
                      std::stop_token cancel) {
  return store.append(events, std::nullopt, std::move(cancel));
}

std::vector<SequencedEvent> readAll(EventStore& store, const Query& query) {
  return store.read(query);
}

std::vector<SequencedEvent> readFrom(EventStore& store, const Query& query, Position fromPosition) {
  ReadOptions options;
  options.fromPosition = fromPosition;
  return store.read(query, options);
}

}  // namespace opossum
