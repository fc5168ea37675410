// A fluent way to build a NewEvent (SPEC §3):
//   NewEvent e = DomainEventBuilder(R"({"amount":5})", "Paid").withTag("order", "17")
//                    .withCorrelationId(id).build();
// Each with* changes only this builder (never its arguments) and returns it; build() copies, so a
// builder can be reused and every NewEvent it built stays independent of later changes.
#pragma once

#include <string>
#include <vector>

#include "opossum/export.hpp"
#include "opossum/types.hpp"

namespace opossum {

class OPOSSUM_EXPORT DomainEventBuilder {
 public:
  // `json` is the payload (a JSON object as text), `eventType` the event type.
  DomainEventBuilder(std::string json, std::string eventType);

  DomainEventBuilder& withTag(std::string key, std::string value);
  // Appends the tags after those already added.
  DomainEventBuilder& withTags(const std::vector<Tag>& tags);
  // Sets every field that `metadata` has; fields it leaves unset keep their value.
  DomainEventBuilder& withMetadata(const Metadata& metadata);
  DomainEventBuilder& withCorrelationId(std::string id);
  DomainEventBuilder& withCausationId(std::string id);
  DomainEventBuilder& withOperationId(std::string id);
  DomainEventBuilder& withUserId(std::string id);
  DomainEventBuilder& withTimestamp(Timestamp timestamp);

  // The event, validated as append would (InvalidArgumentError: empty type, bad tag, payload not
  // a JSON object, invalid UTF-8); exact duplicate tags collapsed. No timestamp is invented.
  NewEvent build() const;

 private:
  NewEvent event_;
};

}  // namespace opossum
