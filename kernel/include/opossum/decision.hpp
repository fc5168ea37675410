// Decision models and the retry loop of the DCB pattern (SPEC §3): read what a decision depends
// on, decide, and append under the condition that nothing relevant changed meanwhile.
//
//   auto last = createDecisionProjection(0, Query::fromEventTypes({"InvoiceCreated"}),
//       [](int, const SequencedEvent& e) { return numberOf(e); });
//   executeDecision(*store, [&](EventStore& s) {
//     auto model = buildDecisionModel(s, last);
//     appendOne(s, invoiceCreated(model.state + 1), model.appendCondition);
//   }, {.maxRetries = 10});
//
// Time-dependent rules: capture a Clock in `apply` (systemClock() in production, a fake in tests)
// instead of reading the system clock, so tests control "now".
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <vector>

#include "opossum/errors.hpp"
#include "opossum/event_store.hpp"
#include "opossum/export.hpp"
#include "opossum/query.hpp"
#include "opossum/types.hpp"

namespace opossum {

// The time source of time-dependent decision rules.
using Clock = std::function<Timestamp()>;
// std::chrono::system_clock::now as a Clock.
OPOSSUM_EXPORT Clock systemClock();

// A fold over the events matching `query`, starting from `initialState`.
template <class S>
struct DecisionProjection {
  S initialState;
  Query query;
  std::function<S(S, const SequencedEvent&)> apply;
};

// A DecisionProjection whose state type is deduced from `initialState`.
template <class S, class Apply>
DecisionProjection<S> createDecisionProjection(S initialState, Query query, Apply apply) {
  return DecisionProjection<S>{std::move(initialState), std::move(query),
                               std::function<S(S, const SequencedEvent&)>(std::move(apply))};
}

// The folded state and the condition to append under: the union of the projections' queries,
// after the highest position read (no afterSequencePosition when nothing matched).
template <class S>
struct DecisionModel {
  S state;
  AppendCondition appendCondition;
};

template <class A, class B>
struct DecisionModel2 {
  A first;
  B second;
  AppendCondition appendCondition;
};

template <class A, class B, class C>
struct DecisionModel3 {
  A first;
  B second;
  C third;
  AppendCondition appendCondition;
};

template <class S>
struct DecisionModelN {
  std::vector<S> states;  // in the order of the projections
  AppendCondition appendCondition;
};

namespace detail {

struct DecisionRead {
  AppendCondition appendCondition;
  std::vector<SequencedEvent> events;  // ascending
};

// One read of the union of `queries` and the condition guarding it.
OPOSSUM_EXPORT DecisionRead readForDecision(EventStore& store, const std::vector<Query>& queries);
// InvalidArgumentError naming projection `index` when it has no apply function.
OPOSSUM_EXPORT void requireApply(bool hasApply, std::size_t index);

template <class S>
void foldInto(S& state, const DecisionProjection<S>& projection, const SequencedEvent& event) {
  if (projection.query.matches(event.event)) state = projection.apply(std::move(state), event);
}

}  // namespace detail

// Reads the events of `projection.query` once and folds them in position order.
template <class S>
DecisionModel<S> buildDecisionModel(EventStore& store, const DecisionProjection<S>& projection) {
  detail::requireApply(static_cast<bool>(projection.apply), 0);
  auto read = detail::readForDecision(store, {projection.query});
  S state = projection.initialState;
  for (const SequencedEvent& event : read.events) detail::foldInto(state, projection, event);
  return DecisionModel<S>{std::move(state), std::move(read.appendCondition)};
}

// Two projections from one read; each sees only the events of its own query.
template <class A, class B>
DecisionModel2<A, B> buildDecisionModel2(EventStore& store, const DecisionProjection<A>& first,
                                         const DecisionProjection<B>& second) {
  detail::requireApply(static_cast<bool>(first.apply), 0);
  detail::requireApply(static_cast<bool>(second.apply), 1);
  auto read = detail::readForDecision(store, {first.query, second.query});
  A a = first.initialState;
  B b = second.initialState;
  for (const SequencedEvent& event : read.events) {
    detail::foldInto(a, first, event);
    detail::foldInto(b, second, event);
  }
  return DecisionModel2<A, B>{std::move(a), std::move(b), std::move(read.appendCondition)};
}

// Three projections from one read; each sees only the events of its own query.
template <class A, class B, class C>
DecisionModel3<A, B, C> buildDecisionModel3(EventStore& store, const DecisionProjection<A>& first,
                                            const DecisionProjection<B>& second,
                                            const DecisionProjection<C>& third) {
  detail::requireApply(static_cast<bool>(first.apply), 0);
  detail::requireApply(static_cast<bool>(second.apply), 1);
  detail::requireApply(static_cast<bool>(third.apply), 2);
  auto read = detail::readForDecision(store, {first.query, second.query, third.query});
  A a = first.initialState;
  B b = second.initialState;
  C c = third.initialState;
  for (const SequencedEvent& event : read.events) {
    detail::foldInto(a, first, event);
    detail::foldInto(b, second, event);
    detail::foldInto(c, third, event);
  }
  return DecisionModel3<A, B, C>{std::move(a), std::move(b), std::move(c),
                                 std::move(read.appendCondition)};
}

// Any number of projections of one state type from one read; states in projection order.
template <class S>
DecisionModelN<S> buildDecisionModelN(EventStore& store,
                                      const std::vector<DecisionProjection<S>>& projections) {
  std::vector<Query> queries;
  queries.reserve(projections.size());
  for (std::size_t i = 0; i < projections.size(); ++i) {
    detail::requireApply(static_cast<bool>(projections[i].apply), i);
    queries.push_back(projections[i].query);
  }
  auto read = detail::readForDecision(store, queries);
  std::vector<S> states;
  states.reserve(projections.size());
  for (const auto& projection : projections) states.push_back(projection.initialState);
  for (const SequencedEvent& event : read.events) {
    for (std::size_t i = 0; i < projections.size(); ++i) {
      detail::foldInto(states[i], projections[i], event);
    }
  }
  return DecisionModelN<S>{std::move(states), std::move(read.appendCondition)};
}

// Lets `buildDecisionModelN(store, {a, b, c})` deduce S.
template <class S>
DecisionModelN<S> buildDecisionModelN(EventStore& store,
                                      std::initializer_list<DecisionProjection<S>> projections) {
  return buildDecisionModelN(store, std::vector<DecisionProjection<S>>(projections));
}

struct ExecuteDecisionOptions {
  int maxRetries = 3;  // attempts in total, at least 1
  std::chrono::milliseconds initialDelay{50};
  // Delays grow as initialDelay * 2^k but never beyond this, so large maxRetries stay usable.
  std::chrono::milliseconds maxDelay{std::chrono::seconds(10)};
  std::stop_token cancel;
  // Waits before a retry and returns early once the token is triggered; empty: a real wait.
  // Tests put a recorder here to check the delays without waiting.
  std::function<void(std::chrono::milliseconds, std::stop_token)> sleep;
};

namespace detail {

// InvalidArgumentError for maxRetries < 1 or negative delays.
OPOSSUM_EXPORT void checkExecuteOptions(const ExecuteDecisionOptions& options);
// CancelledError when `options.cancel` was triggered before attempt `attempt` (0-based).
OPOSSUM_EXPORT void throwIfCancelledBefore(const ExecuteDecisionOptions& options, int attempt);
// min(initialDelay * 2^retry, maxDelay), without overflow.
OPOSSUM_EXPORT std::chrono::milliseconds retryDelay(const ExecuteDecisionOptions& options,
                                                    int retry);
// Waits retryDelay(options, retry) (through options.sleep when set); CancelledError when the
// token is triggered before or during the wait.
OPOSSUM_EXPORT void waitBeforeRetry(const ExecuteDecisionOptions& options, int retry);

}  // namespace detail

// Runs `operation(store)` until it succeeds, at most options.maxRetries times. Only
// AppendConditionFailedError is retried (after initialDelay * 2^k for retry k); the last one is
// rethrown. Other errors propagate at once. Returns what the operation returns.
template <class StoreT, class Operation>
std::invoke_result_t<Operation&, StoreT&> executeDecision(
    StoreT& store, Operation&& operation, const ExecuteDecisionOptions& options = {}) {
  detail::checkExecuteOptions(options);
  for (int attempt = 0;; ++attempt) {
    detail::throwIfCancelledBefore(options, attempt);
    try {
      return std::invoke(operation, store);
    } catch (const AppendConditionFailedError&) {
      if (attempt + 1 >= options.maxRetries) throw;
    }
    detail::waitBeforeRetry(options, attempt);
  }
}

}  // namespace opossum
