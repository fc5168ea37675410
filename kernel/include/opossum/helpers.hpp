// Small conveniences over EventStore (SPEC §3). They take the store by reference: with the
// std::shared_ptr<Store> from createEventStore, pass `*store`.
#pragma once

#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "opossum/event_store.hpp"
#include "opossum/export.hpp"
#include "opossum/query.hpp"
#include "opossum/types.hpp"

namespace opossum {

// A NewEvent from its parts. Nothing is checked here; append checks (and stamps the timestamp).
OPOSSUM_EXPORT NewEvent toNewEvent(std::string type, std::string json, std::vector<Tag> tags = {},
                                   Metadata metadata = {});

// Appends one event, optionally under a condition; returns its position.
OPOSSUM_EXPORT Position appendOne(EventStore& store, const NewEvent& event,
                                  const std::optional<AppendCondition>& condition = std::nullopt,
                                  std::stop_token cancel = {});

// Appends a batch without condition; returns the position of its last event.
OPOSSUM_EXPORT Position appendEvents(EventStore& store, const std::vector<NewEvent>& events,
                                     std::stop_token cancel = {});

// Every matching event, oldest first.
OPOSSUM_EXPORT std::vector<SequencedEvent> readAll(EventStore& store, const Query& query);

// The matching events after `fromPosition` (exclusive), oldest first.
OPOSSUM_EXPORT std::vector<SequencedEvent> readFrom(EventStore& store, const Query& query,
                                                    Position fromPosition);

}  // namespace opossum
