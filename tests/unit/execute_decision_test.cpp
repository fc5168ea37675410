// executeDecision (SPEC §3): call counts, back-off delays, which errors are retried, return values
// and cancellation. A recording sleep checks the delays without waiting.
#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "opossum/opossum.hpp"

using namespace opossum;
using namespace std::chrono_literals;

namespace {

// executeDecision hands the store through to the operation; these tests need no real one.
struct NoStore {
  int id = 42;
};

// Options whose sleep records the delays instead of waiting.
struct Recorder {
  std::vector<std::chrono::milliseconds> delays;
  ExecuteDecisionOptions options() {
    ExecuteDecisionOptions o;
    o.sleep = [this](std::chrono::milliseconds d, std::stop_token) { delays.push_back(d); };
    return o;
  }
};

using Delays = std::vector<std::chrono::milliseconds>;

}  // namespace

TEST_CASE("executeDecision: success the first time calls once and does not wait", "[decision]") {
  NoStore store;
  Recorder r;
  int calls = 0;
  int result = executeDecision(
      store,
      [&](NoStore& s) {
        ++calls;
        return s.id;
      },
      r.options());
  CHECK(result == 42);
  CHECK(calls == 1);
  CHECK(r.delays.empty());
}

TEST_CASE("executeDecision: one conflict then success", "[decision]") {
  NoStore store;
  Recorder r;
  int calls = 0;
  std::string result = executeDecision(
      store,
      [&](NoStore&) -> std::string {
        if (++calls == 1) throw AppendConditionFailedError("conflict 1");
        return "done";
      },
      r.options());
  CHECK(result == "done");
  CHECK(calls == 2);
  CHECK(r.delays == Delays{50ms});
}

TEST_CASE("executeDecision: always conflicting rethrows after exactly maxRetries calls",
          "[decision]") {
  NoStore store;
  Recorder r;
  int calls = 0;
  auto always = [&](NoStore&) {
    ++calls;
    throw AppendConditionFailedError("conflict " + std::to_string(calls));
  };
  SECTION("defaults: 3 calls, delays 50 and 100 ms, the last conflict rethrown") {
    CHECK_THROWS_WITH(executeDecision(store, always, r.options()), "conflict 3");
    CHECK(calls == 3);
    CHECK(r.delays == Delays{50ms, 100ms});
  }
  SECTION("maxRetries 5, initialDelay 10 ms") {
    auto o = r.options();
    o.maxRetries = 5;
    o.initialDelay = 10ms;
    CHECK_THROWS_AS(executeDecision(store, always, o), AppendConditionFailedError);
    CHECK(calls == 5);
    CHECK(r.delays == Delays{10ms, 20ms, 40ms, 80ms});
  }
  SECTION("maxRetries 1 means one call and no wait") {
    auto o = r.options();
    o.maxRetries = 1;
    CHECK_THROWS_AS(executeDecision(store, always, o), AppendConditionFailedError);
    CHECK(calls == 1);
    CHECK(r.delays.empty());
  }
  SECTION("delays stop growing at maxDelay") {
    auto o = r.options();
    o.maxRetries = 6;
    o.initialDelay = 3ms;
    o.maxDelay = 20ms;
    CHECK_THROWS_AS(executeDecision(store, always, o), AppendConditionFailedError);
    CHECK(r.delays == Delays{3ms, 6ms, 12ms, 20ms, 20ms});
  }
}

TEST_CASE("executeDecision: delays do not overflow with many retries", "[decision]") {
  ExecuteDecisionOptions o;
  o.initialDelay = 1ms;
  o.maxDelay = std::chrono::milliseconds::max();
  CHECK(detail::retryDelay(o, 10) == 1024ms);
  CHECK(detail::retryDelay(o, 999) == std::chrono::milliseconds::max());
  o.maxDelay = 10s;
  CHECK(detail::retryDelay(o, 999) == 10s);
  o.initialDelay = 0ms;
  CHECK(detail::retryDelay(o, 999) == 0ms);
}

TEST_CASE("executeDecision: other errors propagate after one call", "[decision]") {
  NoStore store;
  Recorder r;
  int calls = 0;
  SECTION("an opossum error") {
    CHECK_THROWS_AS(executeDecision(
                        store,
                        [&](NoStore&) {
                          ++calls;
                          throw InvalidArgumentError("bad");
                        },
                        r.options()),
                    InvalidArgumentError);
  }
  SECTION("any exception") {
    CHECK_THROWS_AS(executeDecision(
                        store,
                        [&](NoStore&) {
                          ++calls;
                          throw std::logic_error("bug");
                        },
                        r.options()),
                    std::logic_error);
  }
  SECTION("after a conflict") {
    CHECK_THROWS_AS(executeDecision(
                        store,
                        [&](NoStore&) {
                          if (++calls == 1) throw AppendConditionFailedError("conflict");
                          throw IoError("disk full");
                        },
                        r.options()),
                    IoError);
    CHECK(calls == 2);
    CHECK(r.delays == Delays{50ms});
    return;
  }
  CHECK(calls == 1);
  CHECK(r.delays.empty());
}

TEST_CASE("executeDecision: void operations and the store passed through", "[decision]") {
  NoStore store;
  int calls = 0;
  executeDecision(store, [&](NoStore& s) {
    ++calls;
    s.id = 7;
  });
  CHECK(calls == 1);
  CHECK(store.id == 7);
}

TEST_CASE("executeDecision: cancellation", "[decision]") {
  NoStore store;
  int calls = 0;
  SECTION("before the first call: the operation never runs") {
    std::stop_source stop;
    stop.request_stop();
    ExecuteDecisionOptions o;
    o.cancel = stop.get_token();
    CHECK_THROWS_AS(executeDecision(
                        store, [&](NoStore&) { ++calls; }, o),
                    CancelledError);
    CHECK(calls == 0);
  }
  SECTION("during the wait before a retry, from another thread") {
    std::stop_source stop;
    ExecuteDecisionOptions o;
    o.cancel = stop.get_token();
    o.initialDelay = 10s;  // far longer than the test may take
    // Taken before the canceller starts, so the stop comes at least 50 ms after it.
    auto start = std::chrono::steady_clock::now();
    std::jthread canceller([&] {
      std::this_thread::sleep_for(50ms);
      stop.request_stop();
    });
    CHECK_THROWS_AS(executeDecision(
                        store,
                        [&](NoStore&) {
                          ++calls;
                          throw AppendConditionFailedError("conflict");
                        },
                        o),
                    CancelledError);
    auto waited = std::chrono::steady_clock::now() - start;
    CHECK(calls == 1);
    CHECK(waited >= 50ms);
    CHECK(waited < 5s);
  }
  SECTION("a real wait without cancellation waits the delay") {
    ExecuteDecisionOptions o;
    o.initialDelay = 20ms;
    auto start = std::chrono::steady_clock::now();
    int result = executeDecision(
        store,
        [&](NoStore&) {
          if (++calls < 3) throw AppendConditionFailedError("conflict");
          return calls;
        },
        o);
    CHECK(result == 3);
    CHECK(std::chrono::steady_clock::now() - start >= 60ms);  // 20 + 40
  }
  SECTION("the injected sleep receives the token; cancelling there stops the retries") {
    std::stop_source stop;
    ExecuteDecisionOptions o;
    o.cancel = stop.get_token();
    o.maxRetries = 10;
    bool sawToken = false;
    o.sleep = [&](std::chrono::milliseconds, std::stop_token token) {
      sawToken = token.stop_possible();
      stop.request_stop();
    };
    CHECK_THROWS_AS(executeDecision(
                        store,
                        [&](NoStore&) {
                          ++calls;
                          throw AppendConditionFailedError("conflict");
                        },
                        o),
                    CancelledError);
    CHECK(sawToken);
    CHECK(calls == 1);
  }
}

TEST_CASE("executeDecision: invalid options", "[decision]") {
  NoStore store;
  int calls = 0;
  ExecuteDecisionOptions o;
  o.maxRetries = 0;
  CHECK_THROWS_AS(executeDecision(
                      store, [&](NoStore&) { ++calls; }, o),
                  InvalidArgumentError);
  o.maxRetries = 3;
  o.initialDelay = -1ms;
  CHECK_THROWS_AS(executeDecision(
                      store, [&](NoStore&) { ++calls; }, o),
                  InvalidArgumentError);
  CHECK(calls == 0);
}
