// A day at a small café on the embedded store ./OpossumStore/pos: items and stock, orders at two
// tills, payments, the last mug wanted at both tills at once, a double payment refused, and the
// read models the projection daemon keeps up to date in the background.
#include <chrono>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <opossum/opossum.hpp>

#include "pos.hpp"
#include "read_models.hpp"

namespace pos = samples::pos;
using namespace std::chrono_literals;

namespace {

std::string money(long long cents) {
  std::ostringstream out;
  out << cents / 100 << "." << std::setw(2) << std::setfill('0') << cents % 100;
  return out.str();
}

// Runs a command and tells whether the shop allowed it.
template <class Command>
bool attempt(const std::string& what, Command command) {
  try {
    command();
    std::cout << "  " << what << ": done\n";
    return true;
  } catch (const samples::CommandRejected& e) {
    std::cout << "  " << what << ": refused (" << e.what() << ")\n";
    return false;
  }
}

}  // namespace

int main() {
  try {
    auto store = opossum::createEventStore({.storeName = "pos"});
    store->deleteStore();  // every run tells the same story

    std::cout << "Morning: the menu and the deliveries\n";
    pos::defineItem(*store, "coffee", "Coffee", 350);
    pos::defineItem(*store, "croissant", "Croissant", 280);
    pos::defineItem(*store, "mug", "Café mug", 1200);
    pos::receiveStock(*store, "coffee", 100);
    pos::receiveStock(*store, "croissant", 3);
    pos::receiveStock(*store, "mug", 1);

    // The read models: the daemon applies new events in the background, every 100 ms.
    opossum::ProjectionManager manager({.eventStore = store});
    pos::registerReadModels(manager);
    opossum::ProjectionDaemon daemon(manager, {.pollingInterval = 100ms});
    daemon.start();

    std::cout << "Order o-1 at till 1\n";
    pos::openOrder(*store, "o-1", "till-1");
    pos::addItem(*store, "o-1", "coffee", 2);
    pos::addItem(*store, "o-1", "croissant", 1);
    const long long total = pos::orderTotal(*store, "o-1");
    std::cout << "  total " << money(total) << "\n";
    attempt("pay o-1 by card", [&] { pos::pay(*store, "o-1", "card-7731", total, "card"); });
    attempt("pay o-1 again in cash", [&] { pos::pay(*store, "o-1", "cash-1", total, "cash"); });

    std::cout << "The last mug, wanted at both tills at the same moment\n";
    pos::openOrder(*store, "o-2", "till-1");
    pos::openOrder(*store, "o-3", "till-2");
    std::mutex printing;
    std::vector<std::jthread> tills;
    for (const std::string order : {"o-2", "o-3"}) {
      tills.emplace_back([&, order] {
        std::string outcome = "sold";
        try {
          pos::addItem(*store, order, "mug", 1);
        } catch (const samples::CommandRejected& e) {
          outcome = std::string("refused (") + e.what() + ")";
        }
        std::lock_guard lock(printing);
        std::cout << "  mug for " << order << ": " << outcome << "\n";
      });
    }
    tills.clear();  // joins

    std::cout << "More croissants than there are\n";
    pos::openOrder(*store, "o-4", "till-2");
    attempt("3 croissants for o-4", [&] { pos::addItem(*store, "o-4", "croissant", 3); });
    attempt("2 croissants for o-4", [&] { pos::addItem(*store, "o-4", "croissant", 2); });
    attempt("1 coffee for o-4", [&] { pos::addItem(*store, "o-4", "coffee", 1); });

    std::cout << "Till 2 was offline yesterday and uploads a paid order now\n";
    pos::openOrder(*store, "o-0", "till-2");
    pos::addItem(*store, "o-0", "coffee", 4);
    pos::pay(*store, "o-0", "cash-0", pos::orderTotal(*store, "o-0"), "cash",
             std::chrono::system_clock::now() - 24h);

    // The read models lag the store by at most a polling interval.
    const opossum::Position head = store->readLast(opossum::Query::all())->position;
    while (manager.checkpoint(pos::kOrderSummaries) < head ||
           manager.checkpoint(pos::kDailySales) < head ||
           manager.checkpoint(pos::kStockLevels) < head) {
      std::this_thread::sleep_for(10ms);
    }
    daemon.stop();

    std::cout << "\nRead models (kept by the projection daemon)\n";
    auto orders = manager.getStore<pos::OrderSummary>(pos::kOrderSummaries);
    for (const std::string status : {"open", "paid"}) {
      std::cout << "  " << status << " orders:";
      for (const auto& o : orders.queryByTag({"status", status})) {
        std::cout << " " << o.orderId << " (" << o.till << ", " << o.lines
                  << (o.lines == 1 ? " line, " : " lines, ") << money(o.totalCents) << ")";
      }
      std::cout << "\n";
    }
    for (const auto& day : manager.getStore<pos::DailySales>(pos::kDailySales).getAll()) {
      std::cout << "  sales on " << day.date << ": " << day.orders << " orders, "
                << money(day.revenueCents) << "\n";
    }
    auto stock = manager.getStore<pos::StockLevel>(pos::kStockLevels);
    for (const std::string level : {"out", "low"}) {
      std::cout << "  stock " << level << ":";
      const auto items = stock.queryByTag({"stock", level});
      for (const auto& item : items) std::cout << " " << item.name << " (" << item.onHand << ")";
      std::cout << (items.empty() ? " none\n" : "\n");
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
