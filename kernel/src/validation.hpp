// Checks of application input (SPEC §1–2): bad input is an InvalidArgumentError naming the
// offending event and field, before anything touches the disk.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "opossum/event_store.hpp"
#include "opossum/sdk/utf8.hpp"

namespace opossum::detail {

inline constexpr std::size_t kMaxEventTypeBytes = 256;
inline constexpr std::size_t kMaxTagBytes = 1024;

using sdk::isValidUtf8;

// Validates one event and returns it with exact duplicate tags collapsed (order kept); error
// messages start with `prefix` (e.g. "event 3: "). The timestamp is left as given.
NewEvent prepareEvent(const NewEvent& event, const std::string& prefix);

// Validates a batch and returns it ready to store: exact duplicate tags collapsed (order kept)
// and missing timestamps stamped with `now`.
std::vector<NewEvent> prepareEvents(const std::vector<NewEvent>& events, Timestamp now);

void validateStoreOptions(const EventStoreOptions& options);

// A tag's key and value; `what` starts the message ("event 3: tag 1").
void validateTag(const Tag& tag, const std::string& what);

}  // namespace opossum::detail
