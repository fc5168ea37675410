// Invoice numbers on the embedded store ./OpossumStore/invoice-numbers: four threads create five
// invoices each after a first one; the numbers come out as 1..21, each exactly once.
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <opossum/opossum.hpp>

#include "invoice_numbers.hpp"

namespace in = samples::invoice_numbers;

int main() {
  try {
    auto store = opossum::createEventStore({.storeName = "invoice-numbers"});
    store->deleteStore();  // start empty, so numbering starts at 1 on every run

    std::cout << "first invoice: number "
              << in::createInvoice(*store, R"({"customer":"ACME","amount":120})") << "\n";

    std::mutex printing;
    std::vector<std::jthread> clerks;
    for (int clerk = 1; clerk <= 4; ++clerk) {
      clerks.emplace_back([&, clerk] {
        for (int i = 0; i < 5; ++i) {
          std::string data = R"({"clerk":)" + std::to_string(clerk) + "}";
          long long number = in::createInvoice(*store, data);
          std::lock_guard lock(printing);
          std::cout << "clerk " << clerk << " created invoice " << number << "\n";
        }
      });
    }
    clerks.clear();  // joins

    std::cout << "\ninvoices in the store:";
    for (const auto& e : store->read(opossum::Query::fromEventTypes({in::kInvoiceCreated}))) {
      std::cout << " " << e.event.tags.front().value;
    }
    std::cout << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
