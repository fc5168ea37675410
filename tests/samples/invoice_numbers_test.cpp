// The invoice number cases of dcb.events, and gapless numbering under concurrency, run against
// samples/invoice_numbers.
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "invoice_numbers.hpp"
#include "scenario.hpp"

using namespace samples::invoice_numbers;
using namespace std::chrono_literals;
using Catch::Matchers::Message;
using opossum::test::Scenario;
using samples::CommandRejected;

TEST_CASE("the first invoice gets number 1", "[samples][invoice]") {
  Scenario s;
  CHECK(createInvoice(s.store(), R"({"foo":"bar"})") == 1);
  CHECK(s.appendedOnly("InvoiceCreated", R"({"invoiceNumber":1,"invoiceData":{"foo":"bar"}})",
                       {{"invoice", "1"}}) == "");
}

TEST_CASE("the next invoice gets the last number + 1", "[samples][invoice]") {
  Scenario s;
  s.given({invoiceCreated(1, R"({"foo":"bar"})")});
  CHECK(createInvoice(s.store(), R"({"bar":"baz"})") == 2);
  CHECK(s.appendedOnly("InvoiceCreated", R"({"invoiceNumber":2,"invoiceData":{"bar":"baz"}})",
                       {{"invoice", "2"}}) == "");
}

TEST_CASE("numbering follows the last invoice, whatever else is in the store",
          "[samples][invoice]") {
  Scenario s;
  s.given({invoiceCreated(1, "{}"), opossum::toNewEvent("InvoicePaid", R"({"invoiceNumber":1})"),
           invoiceCreated(2, "{}"), opossum::toNewEvent("InvoicePaid", R"({"invoiceNumber":2})")});
  CHECK(createInvoice(s.store(), "{}") == 3);
}

TEST_CASE("invoice data must be a JSON object", "[samples][invoice]") {
  Scenario s;
  REQUIRE_THROWS_MATCHES(createInvoice(s.store(), "[1,2]"), CommandRejected,
                         Message("invoiceData is not a JSON object: [1,2]"));
  REQUIRE_THROWS_AS(createInvoice(s.store(), R"({"a":1},"invoiceNumber":7)"), CommandRejected);
  CHECK(s.appended().empty());
}

TEST_CASE("a number taken between read and append is not issued twice", "[samples][invoice]") {
  Scenario s;
  s.given({invoiceCreated(1, "{}")});
  opossum::test::Interfering racing(s.store(), [](opossum::EventStore& store) {
    opossum::appendOne(store, invoiceCreated(2, "{}"));
  });
  CHECK(createInvoice(racing, "{}") == 3);
}

TEST_CASE("8 threads issue 200 invoices: numbers 1..200 without gap or duplicate",
          "[samples][invoice]") {
  Scenario s;
  // Many writers contend for every number; give each enough attempts to get through.
  opossum::ExecuteDecisionOptions retries;
  retries.maxRetries = 1000;
  retries.initialDelay = 1ms;
  retries.maxDelay = 20ms;

  std::mutex mutex;
  std::vector<long long> issued;
  std::vector<std::string> failures;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 25; ++i) {
          try {
            long long number =
                createInvoice(s.store(), R"({"thread":)" + std::to_string(t) + "}", retries);
            std::lock_guard lock(mutex);
            issued.push_back(number);
          } catch (const std::exception& e) {
            std::lock_guard lock(mutex);
            failures.push_back(e.what());
          }
        }
      });
    }
  }
  REQUIRE(failures.empty());
  REQUIRE(issued.size() == 200);
  CHECK(std::set<long long>(issued.begin(), issued.end()).size() == 200);

  // The store holds InvoiceCreated 1..200 in position order, each tagged with its number.
  auto events = s.store().read(opossum::Query::fromEventTypes({kInvoiceCreated}));
  REQUIRE(events.size() == 200);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const long long expected = static_cast<long long>(i) + 1;
    CHECK(opossum::test::payloadNumber(events[i].event.event, "invoiceNumber") == expected);
    CHECK(events[i].event.tags == std::vector<opossum::Tag>{invoiceTag(expected)});
  }
}
