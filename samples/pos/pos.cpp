#include "pos.hpp"

#include <vector>

#include "json_payload.hpp"

namespace samples::pos {

using opossum::DecisionProjection;
using opossum::EventStore;
using opossum::Query;
using opossum::SequencedEvent;

namespace {

using namespace std::chrono_literals;

// Sales at several tills contend for the same items: retry soon, a few times.
opossum::ExecuteDecisionOptions retries() {
  opossum::ExecuteDecisionOptions options;
  options.maxRetries = 20;
  options.initialDelay = 1ms;
  options.maxDelay = 50ms;
  return options;
}

Query eventsWith(std::vector<std::string> types, opossum::Tag tag) {
  return Query::fromItems({{std::move(types), {std::move(tag)}}});
}

std::string quoted(const std::string& id) { return "\"" + id + "\""; }

void requirePositive(long long value, const std::string& what) {
  if (value <= 0) throw CommandRejected(what + " must be positive, not " + std::to_string(value));
}

struct Item {
  bool exists = false;
  long long priceCents = 0;
};

DecisionProjection<Item> item(const std::string& sku) {
  return opossum::createDecisionProjection(Item{}, eventsWith({kItemDefined}, itemTag(sku)),
                                           [](Item, const SequencedEvent& e) {
                                             return Item{true, intMember(e, "priceCents")};
                                           });
}

// Received minus sold.
DecisionProjection<long long> stockOnHand(const std::string& sku) {
  return opossum::createDecisionProjection(
      0LL, eventsWith({kStockReceived, kItemAdded}, itemTag(sku)),
      [](long long onHand, const SequencedEvent& e) {
        const long long quantity = intMember(e, "quantity");
        return e.event.eventType == kStockReceived ? onHand + quantity : onHand - quantity;
      });
}

struct Order {
  bool exists = false;
  bool paid = false;
  long long totalCents = 0;
};

DecisionProjection<Order> order(const std::string& orderId) {
  return opossum::createDecisionProjection(
      Order{}, eventsWith({kOrderOpened, kItemAdded, kPaymentReceived}, orderTag(orderId)),
      [](Order o, const SequencedEvent& e) {
        if (e.event.eventType == kOrderOpened) o.exists = true;
        if (e.event.eventType == kItemAdded) {
          o.totalCents += intMember(e, "quantity") * intMember(e, "priceCents");
        }
        if (e.event.eventType == kPaymentReceived) o.paid = true;
        return o;
      });
}

DecisionProjection<bool> paymentReceived(const std::string& paymentId) {
  return opossum::createDecisionProjection(false,
                                           eventsWith({kPaymentReceived}, paymentTag(paymentId)),
                                           [](bool, const SequencedEvent&) { return true; });
}

void requireOpen(const Order& o, const std::string& orderId) {
  if (!o.exists) throw CommandRejected("Order " + quoted(orderId) + " does not exist");
  if (o.paid) throw CommandRejected("Order " + quoted(orderId) + " is already paid");
}

}  // namespace

opossum::Tag itemTag(const std::string& sku) { return {"item", sku}; }
opossum::Tag orderTag(const std::string& orderId) { return {"order", orderId}; }
opossum::Tag paymentTag(const std::string& paymentId) { return {"payment", paymentId}; }
opossum::Tag tillTag(const std::string& till) { return {"till", till}; }

void defineItem(EventStore& store, const std::string& sku, const std::string& name,
                long long priceCents) {
  requirePositive(priceCents, "The price");
  opossum::executeDecision(
      store,
      [&](EventStore& s) {
        auto model = opossum::buildDecisionModel(s, item(sku));
        if (model.state.exists) throw CommandRejected("Item " + quoted(sku) + " already exists");
        opossum::appendOne(
            s,
            opossum::toNewEvent(
                kItemDefined,
                JsonObject().add("sku", sku).add("name", name).add("priceCents", priceCents).text(),
                {itemTag(sku)}),
            model.appendCondition);
      },
      retries());
}

void receiveStock(EventStore& store, const std::string& sku, long long quantity) {
  requirePositive(quantity, "The quantity");
  // Stock only grows here, so any number of deliveries may be booked at once: the condition only
  // guards the item's existence.
  auto model = opossum::buildDecisionModel(store, item(sku));
  if (!model.state.exists) throw CommandRejected("Item " + quoted(sku) + " does not exist");
  opossum::appendOne(
      store,
      opossum::toNewEvent(kStockReceived,
                          JsonObject().add("sku", sku).add("quantity", quantity).text(),
                          {itemTag(sku)}),
      model.appendCondition);
}

void openOrder(EventStore& store, const std::string& orderId, const std::string& till) {
  opossum::executeDecision(
      store,
      [&](EventStore& s) {
        auto model = opossum::buildDecisionModel(s, order(orderId));
        if (model.state.exists) {
          throw CommandRejected("Order " + quoted(orderId) + " already exists");
        }
        opossum::appendOne(
            s,
            opossum::toNewEvent(kOrderOpened,
                                JsonObject().add("orderId", orderId).add("till", till).text(),
                                {orderTag(orderId), tillTag(till)}),
            model.appendCondition);
      },
      retries());
}

void addItem(EventStore& store, const std::string& orderId, const std::string& sku,
             long long quantity) {
  requirePositive(quantity, "The quantity");
  opossum::executeDecision(
      store,
      [&](EventStore& s) {
        // One read for the three facts; the condition covers all of them, so a sale of the same
        // item at another till between this read and the append makes the append fail (and the
        // retry sees the lower stock).
        auto model = opossum::buildDecisionModel3(s, order(orderId), item(sku), stockOnHand(sku));
        requireOpen(model.first, orderId);
        if (!model.second.exists) throw CommandRejected("Item " + quoted(sku) + " does not exist");
        if (model.third < quantity) {
          throw CommandRejected("Only " + std::to_string(model.third) + " of item " + quoted(sku) +
                                " in stock, cannot sell " + std::to_string(quantity));
        }
        opossum::appendOne(s,
                           opossum::toNewEvent(kItemAdded,
                                               JsonObject()
                                                   .add("orderId", orderId)
                                                   .add("sku", sku)
                                                   .add("quantity", quantity)
                                                   .add("priceCents", model.second.priceCents)
                                                   .text(),
                                               {orderTag(orderId), itemTag(sku)}),
                           model.appendCondition);
      },
      retries());
}

void pay(EventStore& store, const std::string& orderId, const std::string& paymentId,
         long long amountCents, const std::string& method,
         std::optional<std::chrono::system_clock::time_point> at) {
  opossum::executeDecision(
      store,
      [&](EventStore& s) {
        auto model = opossum::buildDecisionModel2(s, order(orderId), paymentReceived(paymentId));
        requireOpen(model.first, orderId);
        if (model.second) {
          throw CommandRejected("Payment " + quoted(paymentId) + " was already received");
        }
        if (model.first.totalCents == 0) {
          throw CommandRejected("Order " + quoted(orderId) + " has no items");
        }
        if (amountCents != model.first.totalCents) {
          throw CommandRejected("Payment of " + std::to_string(amountCents) +
                                " does not match the order total " +
                                std::to_string(model.first.totalCents));
        }
        opossum::Metadata metadata;
        metadata.timestamp = at;
        opossum::appendOne(
            s,
            opossum::toNewEvent(kPaymentReceived,
                                JsonObject()
                                    .add("orderId", orderId)
                                    .add("paymentId", paymentId)
                                    .add("amountCents", amountCents)
                                    .add("method", method)
                                    .text(),
                                {orderTag(orderId), paymentTag(paymentId)}, metadata),
            model.appendCondition);
      },
      retries());
}

long long orderTotal(EventStore& store, const std::string& orderId) {
  return opossum::buildDecisionModel(store, order(orderId)).state.totalCents;
}

}  // namespace samples::pos
