// The point-of-sale's read models: projections that a ProjectionDaemon keeps up to date in the
// background, for screens and reports that must not fold events on every request.
//   "order-summaries"  one per order: till, status, lines, total; tags status:{open|paid},
//                      till:{till} -> queryByTag({"status", "open"}) lists the open orders
//   "daily-sales"      one per UTC day of payment: orders paid and revenue; tag month:{YYYY-MM}
//   "stock-levels"     one per item: name and units on hand; tag stock:{ok|low|out} (low: < 3)
// Each state type has a JSON codec written with RapidJSON: that is how a projection's state is
// stored.
#pragma once

#include <chrono>
#include <string>

#include <opossum/opossum.hpp>

namespace samples::pos {

inline const std::string kOrderSummaries = "order-summaries";
inline const std::string kDailySales = "daily-sales";
inline const std::string kStockLevels = "stock-levels";

struct OrderSummary {
  std::string orderId;
  std::string till;
  std::string status = "open";  // "open" until paid, then "paid"
  long long lines = 0;
  long long totalCents = 0;
  std::string paymentMethod;  // once paid
  friend bool operator==(const OrderSummary&, const OrderSummary&) = default;
};

struct DailySales {
  std::string date;  // YYYY-MM-DD (UTC) of the payments
  long long orders = 0;
  long long revenueCents = 0;
  friend bool operator==(const DailySales&, const DailySales&) = default;
};

struct StockLevel {
  std::string sku;
  std::string name;
  long long onHand = 0;
  friend bool operator==(const StockLevel&, const StockLevel&) = default;
};

opossum::ProjectionDefinition<OrderSummary> orderSummaries();
opossum::ProjectionDefinition<DailySales> dailySales();
opossum::ProjectionDefinition<StockLevel> stockLevels();

// Registers the three projections.
void registerReadModels(opossum::ProjectionManager& manager);

// The UTC date of a time point, YYYY-MM-DD.
std::string utcDate(std::chrono::system_clock::time_point time);

}  // namespace samples::pos
