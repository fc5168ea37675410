#include "opossum/decision.hpp"

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <string>

namespace opossum {

Clock systemClock() {
  return [] { return std::chrono::system_clock::now(); };
}

namespace detail {

DecisionRead readForDecision(EventStore& store, const std::vector<Query>& queries) {
  // A query without items matches everything, so concatenating its (absent) items would narrow
  // the union: the union is then everything.
  bool everything = queries.empty();
  std::vector<QueryItem> items;
  for (const Query& query : queries) {
    if (query.items().empty()) everything = true;
    for (const QueryItem& item : query.items()) {
      bool seen = false;
      for (const QueryItem& kept : items) seen = seen || kept == item;
      if (!seen) items.push_back(item);
    }
  }
  Query unionQuery = everything ? Query::all() : Query::fromItems(std::move(items));
  DecisionRead result;
  result.events = store.read(unionQuery);
  result.appendCondition.failIfEventsMatch = std::move(unionQuery);
  if (!result.events.empty()) {
    result.appendCondition.afterSequencePosition = result.events.back().position;
  }
  return result;
}

void requireApply(bool hasApply, std::size_t index) {
  if (!hasApply) {
    throw InvalidArgumentError("decision projection " + std::to_string(index) +
                               " has no apply function");
  }
}

void checkExecuteOptions(const ExecuteDecisionOptions& options) {
  if (options.maxRetries < 1) {
    throw InvalidArgumentError("executeDecision: maxRetries is " +
                               std::to_string(options.maxRetries) + "; it must be at least 1");
  }
  if (options.initialDelay.count() < 0 || options.maxDelay.count() < 0) {
    throw InvalidArgumentError("executeDecision: initialDelay and maxDelay must not be negative");
  }
}

void throwIfCancelledBefore(const ExecuteDecisionOptions& options, int attempt) {
  if (options.cancel.stop_requested()) {
    throw CancelledError("executeDecision cancelled before attempt " + std::to_string(attempt + 1) +
                         " of " + std::to_string(options.maxRetries));
  }
}

std::chrono::milliseconds retryDelay(const ExecuteDecisionOptions& options, int retry) {
  using Rep = std::chrono::milliseconds::rep;
  Rep delay = options.initialDelay.count();
  const Rep cap = options.maxDelay.count();
  // Doubling stops at the cap, which also keeps the arithmetic from overflowing.
  for (int k = 0; k < retry && delay < cap; ++k) {
    delay = delay > std::numeric_limits<Rep>::max() / 2 ? cap : delay * 2;
  }
  return std::chrono::milliseconds(std::min(delay, cap));
}

void waitBeforeRetry(const ExecuteDecisionOptions& options, int retry) {
  std::chrono::milliseconds delay = retryDelay(options, retry);
  if (options.sleep) {
    options.sleep(delay, options.cancel);
  } else if (delay.count() > 0) {
    std::mutex mutex;
    std::condition_variable_any wakeUp;
    std::unique_lock lock(mutex);
    // Nobody notifies: this returns on timeout or as soon as the token is triggered.
    wakeUp.wait_for(lock, options.cancel, delay, [] { return false; });
  }
  if (options.cancel.stop_requested()) {
    throw CancelledError("executeDecision cancelled while waiting " +
                         std::to_string(delay.count()) + " ms before retry " +
                         std::to_string(retry + 1));
  }
}

}  // namespace detail

}  // namespace opossum
