// The point-of-sale sample (samples/pos): no overselling and no double payment, also when tills
// race each other, and read models that the projection daemon brings up to date.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pos.hpp"
#include "read_models.hpp"
#include "scenario.hpp"

using namespace samples::pos;
using namespace std::chrono_literals;
using Catch::Matchers::Message;
using opossum::test::Scenario;
using samples::CommandRejected;

namespace {

// A shop with coffee (3.50, 100 in stock) and mugs (12.00, `mugs` in stock).
void openShop(opossum::EventStore& store, long long mugs = 1) {
  defineItem(store, "coffee", "Coffee", 350);
  defineItem(store, "mug", "Mug", 1200);
  receiveStock(store, "coffee", 100);
  receiveStock(store, "mug", mugs);
}

std::size_t countOf(opossum::EventStore& store, const std::string& type) {
  return store.read(opossum::Query::fromEventTypes({type})).size();
}

}  // namespace

TEST_CASE("selling more than is in stock is refused and appends nothing", "[samples][pos]") {
  Scenario s;
  openShop(s.store(), 2);
  openOrder(s.store(), "o-1", "till-1");
  addItem(s.store(), "o-1", "mug", 2);
  openOrder(s.store(), "o-2", "till-2");
  const auto head = s.store().readLast(opossum::Query::all())->position;
  REQUIRE_THROWS_MATCHES(addItem(s.store(), "o-2", "mug", 1), CommandRejected,
                         Message("Only 0 of item \"mug\" in stock, cannot sell 1"));
  REQUIRE_THROWS_MATCHES(addItem(s.store(), "o-2", "coffee", 101), CommandRejected,
                         Message("Only 100 of item \"coffee\" in stock, cannot sell 101"));
  CHECK(s.store().readLast(opossum::Query::all())->position == head);
  // New stock makes the sale possible again.
  receiveStock(s.store(), "mug", 1);
  addItem(s.store(), "o-2", "mug", 1);
  CHECK(countOf(s.store(), kItemAdded) == 2);
}

TEST_CASE("sales need an open order and a known item", "[samples][pos]") {
  Scenario s;
  openShop(s.store());
  REQUIRE_THROWS_MATCHES(addItem(s.store(), "o-9", "coffee", 1), CommandRejected,
                         Message("Order \"o-9\" does not exist"));
  openOrder(s.store(), "o-1", "till-1");
  REQUIRE_THROWS_MATCHES(openOrder(s.store(), "o-1", "till-2"), CommandRejected,
                         Message("Order \"o-1\" already exists"));
  REQUIRE_THROWS_MATCHES(addItem(s.store(), "o-1", "tea", 1), CommandRejected,
                         Message("Item \"tea\" does not exist"));
  REQUIRE_THROWS_MATCHES(addItem(s.store(), "o-1", "coffee", 0), CommandRejected,
                         Message("The quantity must be positive, not 0"));
  REQUIRE_THROWS_MATCHES(defineItem(s.store(), "coffee", "Coffee", 300), CommandRejected,
                         Message("Item \"coffee\" already exists"));
  REQUIRE_THROWS_MATCHES(receiveStock(s.store(), "tea", 5), CommandRejected,
                         Message("Item \"tea\" does not exist"));
  addItem(s.store(), "o-1", "coffee", 2);
  CHECK(orderTotal(s.store(), "o-1") == 700);
  pay(s.store(), "o-1", "p-1", 700, "card");
  REQUIRE_THROWS_MATCHES(addItem(s.store(), "o-1", "coffee", 1), CommandRejected,
                         Message("Order \"o-1\" is already paid"));
}

TEST_CASE("an order is paid once, for its total, with a payment id used once", "[samples][pos]") {
  Scenario s;
  openShop(s.store());
  openOrder(s.store(), "o-1", "till-1");
  REQUIRE_THROWS_MATCHES(pay(s.store(), "o-1", "p-1", 0, "cash"), CommandRejected,
                         Message("Order \"o-1\" has no items"));
  addItem(s.store(), "o-1", "coffee", 1);
  addItem(s.store(), "o-1", "mug", 1);
  REQUIRE_THROWS_MATCHES(pay(s.store(), "o-1", "p-1", 1500, "cash"), CommandRejected,
                         Message("Payment of 1500 does not match the order total 1550"));
  pay(s.store(), "o-1", "p-1", 1550, "cash");
  REQUIRE_THROWS_MATCHES(pay(s.store(), "o-1", "p-2", 1550, "card"), CommandRejected,
                         Message("Order \"o-1\" is already paid"));
  openOrder(s.store(), "o-2", "till-1");
  addItem(s.store(), "o-2", "coffee", 1);
  REQUIRE_THROWS_MATCHES(pay(s.store(), "o-2", "p-1", 350, "cash"), CommandRejected,
                         Message("Payment \"p-1\" was already received"));
  CHECK(countOf(s.store(), kPaymentReceived) == 1);
}

TEST_CASE("a sale of the same item slipped in between read and append is seen on retry",
          "[samples][pos]") {
  Scenario s;
  openShop(s.store(), 1);
  openOrder(s.store(), "o-1", "till-1");
  openOrder(s.store(), "o-2", "till-2");
  // Till 2 sells the last mug after till 1 read the stock and before it appends.
  opossum::test::Interfering racing(
      s.store(), [](opossum::EventStore& store) { addItem(store, "o-2", "mug", 1); });
  REQUIRE_THROWS_MATCHES(addItem(racing, "o-1", "mug", 1), CommandRejected,
                         Message("Only 0 of item \"mug\" in stock, cannot sell 1"));
  CHECK(countOf(s.store(), kItemAdded) == 1);
}

TEST_CASE("8 tills sell the last mug at once: exactly one sale succeeds", "[samples][pos]") {
  for (int round = 0; round < 5; ++round) {
    Scenario s;
    openShop(s.store(), 1);
    for (int t = 0; t < 8; ++t) openOrder(s.store(), "o-" + std::to_string(t), "till");
    std::atomic<int> sold{0};
    std::atomic<int> refused{0};
    std::mutex mutex;
    std::vector<std::string> others;
    {
      std::vector<std::jthread> tills;
      for (int t = 0; t < 8; ++t) {
        tills.emplace_back([&, t] {
          try {
            addItem(s.store(), "o-" + std::to_string(t), "mug", 1);
            ++sold;
          } catch (const CommandRejected&) {
            ++refused;
          } catch (const std::exception& e) {
            std::lock_guard lock(mutex);
            others.push_back(e.what());
          }
        });
      }
    }
    REQUIRE(others.empty());
    CHECK(sold == 1);
    CHECK(refused == 7);
    CHECK(countOf(s.store(), kItemAdded) == 1);
  }
}

TEST_CASE("two tills pay one order at once: exactly one payment", "[samples][pos]") {
  for (int round = 0; round < 5; ++round) {
    Scenario s;
    openShop(s.store());
    openOrder(s.store(), "o-1", "till-1");
    addItem(s.store(), "o-1", "coffee", 2);
    std::atomic<int> paid{0};
    std::atomic<int> refused{0};
    {
      std::vector<std::jthread> tills;
      for (int t = 0; t < 4; ++t) {
        tills.emplace_back([&, t] {
          try {
            pay(s.store(), "o-1", "p-" + std::to_string(t), 700, "card");
            ++paid;
          } catch (const CommandRejected&) {
            ++refused;
          }
        });
      }
    }
    CHECK(paid == 1);
    CHECK(refused == 3);
    CHECK(countOf(s.store(), kPaymentReceived) == 1);
  }
}

TEST_CASE("the daemon brings the read models up to date with the story", "[samples][pos]") {
  opossum::test::usePluginDir();
  opossum::test::TempDir dir;
  auto shared = opossum::test::openStore(dir.path(), "pos");
  openShop(*shared, 3);
  opossum::ProjectionManager manager({.eventStore = shared});
  registerReadModels(manager);
  std::mutex mutex;
  std::vector<std::string> errors;
  opossum::ProjectionDaemon daemon(
      manager, {.pollingInterval = 50ms, .onError = [&](const std::exception& e) {
                  std::lock_guard lock(mutex);
                  errors.push_back(e.what());
                }});
  daemon.start();

  openOrder(*shared, "o-1", "till-1");
  addItem(*shared, "o-1", "coffee", 2);
  addItem(*shared, "o-1", "mug", 1);
  pay(*shared, "o-1", "p-1", 1900, "card");
  openOrder(*shared, "o-2", "till-2");
  addItem(*shared, "o-2", "mug", 2);
  openOrder(*shared, "o-3", "till-2");
  const auto yesterday = std::chrono::system_clock::now() - 24h;
  openOrder(*shared, "o-0", "till-2");
  addItem(*shared, "o-0", "coffee", 1);
  pay(*shared, "o-0", "p-0", 350, "cash", yesterday);

  const auto head = shared->readLast(opossum::Query::all())->position;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  auto caughtUp = [&] {
    for (const auto& name : {kOrderSummaries, kDailySales, kStockLevels}) {
      if (manager.checkpoint(name) < head) return false;
    }
    return true;
  };
  while (!caughtUp() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  daemon.stop();
  REQUIRE(caughtUp());
  CHECK(errors.empty());

  auto orders = manager.getStore<OrderSummary>(kOrderSummaries);
  auto ids = [](std::vector<OrderSummary> list) {
    std::vector<std::string> out;
    for (const auto& o : list) out.push_back(o.orderId);
    std::sort(out.begin(), out.end());
    return out;
  };
  CHECK(ids(orders.queryByTag({"status", "open"})) == std::vector<std::string>{"o-2", "o-3"});
  CHECK(ids(orders.queryByTag({"status", "paid"})) == std::vector<std::string>{"o-0", "o-1"});
  CHECK(ids(orders.queryByTags({{"status", "open"}, {"till", "till-2"}})) ==
        std::vector<std::string>{"o-2", "o-3"});
  CHECK(orders.get("o-1") == OrderSummary{"o-1", "till-1", "paid", 2, 1900, "card"});
  CHECK(orders.get("o-2") == OrderSummary{"o-2", "till-2", "open", 1, 2400, ""});

  auto days = manager.getStore<DailySales>(kDailySales);
  const std::string today = utcDate(std::chrono::system_clock::now());
  const std::string before = utcDate(yesterday);
  // Around midnight UTC both payments may fall on one day; the totals still add up.
  if (today != before) {
    CHECK(days.get(today) == DailySales{today, 1, 1900});
    CHECK(days.get(before) == DailySales{before, 1, 350});
  }
  long long revenue = 0;
  for (const auto& d : days.getAll()) revenue += d.revenueCents;
  CHECK(revenue == 2250);

  auto stock = manager.getStore<StockLevel>(kStockLevels);
  CHECK(stock.get("coffee") == StockLevel{"coffee", "Coffee", 97});
  CHECK(stock.get("mug") == StockLevel{"mug", "Mug", 0});
  CHECK(stock.queryByTag({"stock", "out"}) == std::vector<StockLevel>{{"mug", "Mug", 0}});
  CHECK(stock.queryByTag({"stock", "low"}).empty());
}
