// A point-of-sale on the embedded store: items with prices, stock, orders at tills and payments.
// Each command is a decision: it folds just the events its rules need (found by tags), decides,
// and appends under the condition that none of those events changed in the meantime, so two tills
// never sell the last mug twice and an order is never paid twice, across threads and processes.
//
// Events (payloads are JSON objects) and their tags:
//   ItemDefined     {sku, name, priceCents}                 item:{sku}
//   StockReceived   {sku, quantity}                         item:{sku}
//   OrderOpened     {orderId, till}                         order:{orderId}, till:{till}
//   ItemAdded       {orderId, sku, quantity, priceCents}    order:{orderId}, item:{sku}
//   PaymentReceived {orderId, paymentId, amountCents, method}
//                                                           order:{orderId}, payment:{paymentId}
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <opossum/opossum.hpp>

#include "command_rejected.hpp"

namespace samples::pos {

inline const std::string kItemDefined = "ItemDefined";
inline const std::string kStockReceived = "StockReceived";
inline const std::string kOrderOpened = "OrderOpened";
inline const std::string kItemAdded = "ItemAdded";
inline const std::string kPaymentReceived = "PaymentReceived";

opossum::Tag itemTag(const std::string& sku);
opossum::Tag orderTag(const std::string& orderId);
opossum::Tag paymentTag(const std::string& paymentId);
opossum::Tag tillTag(const std::string& till);

// The commands. Each throws CommandRejected when a rule forbids it (nothing is appended) and
// retries on its own when another writer changed what it decided on (executeDecision).

// "Item "sku" already exists"; the price must be positive.
void defineItem(opossum::EventStore& store, const std::string& sku, const std::string& name,
                long long priceCents);
// "Item "sku" does not exist"; the quantity must be positive.
void receiveStock(opossum::EventStore& store, const std::string& sku, long long quantity);
// "Order "id" already exists".
void openOrder(opossum::EventStore& store, const std::string& orderId, const std::string& till);
// Sells `quantity` of the item into the order at the item's current price. No overselling:
// "Only N of item "sku" in stock, cannot sell M". The order must exist and not be paid.
void addItem(opossum::EventStore& store, const std::string& orderId, const std::string& sku,
             long long quantity);
// Pays the whole order. No double payment: "Order "id" is already paid"; a payment id is used
// once ("Payment "p" was already received"); the amount must equal the order's total. `at` is
// the payment's time (a till that was offline uploads its payments later); default: now.
void pay(opossum::EventStore& store, const std::string& orderId, const std::string& paymentId,
         long long amountCents, const std::string& method,
         std::optional<std::chrono::system_clock::time_point> at = std::nullopt);

// The total of an order so far (0 for an unknown order): what the till shows before payment.
long long orderTotal(opossum::EventStore& store, const std::string& orderId);

}  // namespace samples::pos
