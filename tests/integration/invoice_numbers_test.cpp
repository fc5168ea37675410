// Invoice numbers issued through executeDecision by competing threads and processes (SPEC §3
// decision models, §1 append conditions across threads and processes): exactly 1..N, no gap, no
// duplicate. Every test forks its children before it opens a store or starts a thread.
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using namespace std::chrono_literals;
using opossum::test::forkChild;
using opossum::test::payloadNumber;
using opossum::test::TempDir;
using opossum::test::waitChild;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

// The last invoice number issued, 0 before the first.
const DecisionProjection<long long> kLastInvoice = createDecisionProjection(
    0LL, Query::fromEventTypes({"InvoiceCreated"}), [](long long last, const SequencedEvent& e) {
      return std::max(last, payloadNumber(e.event.event, "invoiceNumber"));
    });

// Issues the next invoice number under the model's condition; retries on conflicts.
long long issueInvoice(EventStore& store) {
  ExecuteDecisionOptions options;
  options.maxRetries = 1000;
  options.initialDelay = 1ms;
  options.maxDelay = 20ms;  // keeps a long losing streak from stalling the test
  return executeDecision(
      store,
      [](EventStore& s) {
        auto model = buildDecisionModel(s, kLastInvoice);
        long long next = model.state + 1;
        appendOne(s,
                  toNewEvent("InvoiceCreated", "{\"invoiceNumber\":" + std::to_string(next) + "}",
                             {{"invoice", std::to_string(next)}}),
                  model.appendCondition);
        return next;
      },
      options);
}

// "" when the store's invoices are exactly 1..n in position order, each tagged with its number.
std::string invoiceProblem(EventStore& store, long long n) {
  auto events = readAll(store, Query::fromEventTypes({"InvoiceCreated"}));
  if (static_cast<long long>(events.size()) != n) {
    return std::to_string(events.size()) + " invoices, expected " + std::to_string(n);
  }
  for (long long i = 0; i < n; ++i) {
    long long number = payloadNumber(events[i].event.event, "invoiceNumber");
    if (number != i + 1) {
      return "invoice " + std::to_string(number) + " at index " + std::to_string(i);
    }
    if (events[i].event.tags != std::vector<Tag>{{"invoice", std::to_string(number)}}) {
      return "invoice " + std::to_string(number) + " has the wrong tag";
    }
  }
  return "";
}

}  // namespace

TEST_CASE("8 threads issue invoice numbers 1..N without gap or duplicate", "[decision][engines]") {
  TempDir dir;
  auto store = opossum::test::openStore(dir.path(), "invoices");
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::vector<long long>> issued(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) issued[t].push_back(issueInvoice(*store));
      });
    }
  }
  std::set<long long> all;
  for (const auto& numbers : issued) {
    CHECK(numbers.size() == kPerThread);
    // One thread's invoices increase.
    for (std::size_t i = 1; i < numbers.size(); ++i) CHECK(numbers[i - 1] < numbers[i]);
    all.insert(numbers.begin(), numbers.end());
  }
  CHECK(all.size() == kThreads * kPerThread);
  CHECK(*all.begin() == 1);
  CHECK(*all.rbegin() == kThreads * kPerThread);
  CHECK(invoiceProblem(*store, kThreads * kPerThread) == "");
}

TEST_CASE("4 processes issue invoice numbers 1..N without gap or duplicate",
          "[decision][engines]") {
  TempDir dir;
  constexpr int kProcesses = 4;
  constexpr int kPerProcess = 25;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(forkChild([&] {
      auto store = opossum::test::openStore(dir.path(), "invoices");
      long long previous = 0;
      for (int i = 0; i < kPerProcess; ++i) {
        long long number = issueInvoice(*store);
        if (number <= previous) return 2;
        previous = number;
      }
      return 0;
    }));
  }
  for (pid_t child : children) CHECK(waitChild(child) == 0);
  auto store = opossum::test::openStore(dir.path(), "invoices");
  CHECK(invoiceProblem(*store, kProcesses * kPerProcess) == "");
}
