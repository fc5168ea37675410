#include "opossum/event_builder.hpp"

#include <utility>

#include "validation.hpp"

namespace opossum {

DomainEventBuilder::DomainEventBuilder(std::string json, std::string eventType) {
  event_.event.event = std::move(json);
  event_.event.eventType = std::move(eventType);
}

DomainEventBuilder& DomainEventBuilder::withTag(std::string key, std::string value) {
  event_.event.tags.push_back(Tag{std::move(key), std::move(value)});
  return *this;
}

DomainEventBuilder& DomainEventBuilder::withTags(const std::vector<Tag>& tags) {
  event_.event.tags.insert(event_.event.tags.end(), tags.begin(), tags.end());
  return *this;
}

DomainEventBuilder& DomainEventBuilder::withMetadata(const Metadata& metadata) {
  Metadata& m = event_.metadata;
  if (metadata.timestamp) m.timestamp = metadata.timestamp;
  if (metadata.correlationId) m.correlationId = metadata.correlationId;
  if (metadata.causationId) m.causationId = metadata.causationId;
  if (metadata.operationId) m.operationId = metadata.operationId;
  if (metadata.userId) m.userId = metadata.userId;
  return *this;
}

DomainEventBuilder& DomainEventBuilder::withCorrelationId(std::string id) {
  event_.metadata.correlationId = std::move(id);
  return *this;
}

DomainEventBuilder& DomainEventBuilder::withCausationId(std::string id) {
  event_.metadata.causationId = std::move(id);
  return *this;
}

DomainEventBuilder& DomainEventBuilder::withOperationId(std::string id) {
  event_.metadata.operationId = std::move(id);
  return *this;
}

DomainEventBuilder& DomainEventBuilder::withUserId(std::string id) {
  event_.metadata.userId = std::move(id);
  return *this;
}

DomainEventBuilder& DomainEventBuilder::withTimestamp(Timestamp timestamp) {
  event_.metadata.timestamp = timestamp;
  return *this;
}

NewEvent DomainEventBuilder::build() const {
  return detail::prepareEvent(event_, "DomainEventBuilder '" + event_.event.eventType + "': ");
}

}  // namespace opossum
