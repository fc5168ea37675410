// Checks of application input (SPEC §1–2): bad input is an InvalidArgumentError naming the
// offending event and field, before anything touches the disk.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "opossum/event_store.hpp"

namespace opossum::detail {

inline constexpr std::size_t kMaxEventTypeBytes = 256;
inline constexpr std::size_t kMaxTagBytes = 1024;

bool isValidUtf8(std::string_view text);

// Validates a batch and returns it ready to store: exact duplicate tags collapsed (order kept)
// and missing timestamps stamped with `now`.
std::vector<NewEvent> prepareEvents(const std::vector<NewEvent>& events, Timestamp now);

void validateStoreOptions(const EventStoreOptions& options);

}  // namespace opossum::detail
