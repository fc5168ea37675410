#include "read_models.hpp"

#include <rapidjson/document.h>

#include <ctime>
#include <stdexcept>

#include "json_payload.hpp"
#include "pos.hpp"

namespace samples::pos {

using opossum::SequencedEvent;

namespace {

// A state document written by toJson; std::runtime_error when it is damaged.
rapidjson::Document parseState(std::string_view json, const char* what) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    throw std::runtime_error(std::string(what) +
                             " state is not a JSON object: " + std::string(json));
  }
  return doc;
}

std::string text(const rapidjson::Document& doc, const char* name) {
  if (!doc.HasMember(name) || !doc[name].IsString()) {
    throw std::runtime_error(std::string("state member \"") + name + "\" is not a string");
  }
  return {doc[name].GetString(), doc[name].GetStringLength()};
}

long long number(const rapidjson::Document& doc, const char* name) {
  if (!doc.HasMember(name) || !doc[name].IsInt64()) {
    throw std::runtime_error(std::string("state member \"") + name + "\" is not an integer");
  }
  return doc[name].GetInt64();
}

}  // namespace

std::string utcDate(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[16];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d", &utc);
  return buffer;
}

opossum::ProjectionDefinition<OrderSummary> orderSummaries() {
  return {.name = kOrderSummaries,
          .eventTypes = {kOrderOpened, kItemAdded, kPaymentReceived},
          .keySelector = [](const SequencedEvent& e) { return stringMember(e, "orderId"); },
          .apply = [](std::optional<OrderSummary> current,
                      const SequencedEvent& e) -> std::optional<OrderSummary> {
            OrderSummary summary = current.value_or(OrderSummary{});
            if (e.event.eventType == kOrderOpened) {
              summary.orderId = stringMember(e, "orderId");
              summary.till = stringMember(e, "till");
            } else if (e.event.eventType == kItemAdded) {
              ++summary.lines;
              summary.totalCents += intMember(e, "quantity") * intMember(e, "priceCents");
            } else {
              summary.status = "paid";
              summary.paymentMethod = stringMember(e, "method");
            }
            return summary;
          },
          .tags =
              [](const OrderSummary& s) {
                return std::vector<opossum::Tag>{{"status", s.status}, {"till", s.till}};
              },
          .codec = {.toJson =
                        [](const OrderSummary& s) {
                          return JsonObject()
                              .add("orderId", s.orderId)
                              .add("till", s.till)
                              .add("status", s.status)
                              .add("lines", s.lines)
                              .add("totalCents", s.totalCents)
                              .add("paymentMethod", s.paymentMethod)
                              .text();
                        },
                    .fromJson =
                        [](std::string_view json) {
                          auto doc = parseState(json, "order summary");
                          return OrderSummary{
                              text(doc, "orderId"),      text(doc, "till"),
                              text(doc, "status"),       number(doc, "lines"),
                              number(doc, "totalCents"), text(doc, "paymentMethod")};
                        }}};
}

opossum::ProjectionDefinition<DailySales> dailySales() {
  // The day of the payment as recorded (the store stamps the time of the append when the till
  // gave none), so a till that uploads yesterday's payments today books them on yesterday.
  auto dayOf = [](const SequencedEvent& e) {
    return utcDate(e.metadata.timestamp.value_or(std::chrono::system_clock::time_point{}));
  };
  return {.name = kDailySales,
          .eventTypes = {kPaymentReceived},
          .keySelector = dayOf,
          .apply = [dayOf](std::optional<DailySales> current,
                           const SequencedEvent& e) -> std::optional<DailySales> {
            DailySales day = current.value_or(DailySales{dayOf(e), 0, 0});
            ++day.orders;
            day.revenueCents += intMember(e, "amountCents");
            return day;
          },
          .tags =
              [](const DailySales& d) {
                return std::vector<opossum::Tag>{{"month", d.date.substr(0, 7)}};
              },
          .codec = {.toJson =
                        [](const DailySales& d) {
                          return JsonObject()
                              .add("date", d.date)
                              .add("orders", d.orders)
                              .add("revenueCents", d.revenueCents)
                              .text();
                        },
                    .fromJson =
                        [](std::string_view json) {
                          auto doc = parseState(json, "daily sales");
                          return DailySales{text(doc, "date"), number(doc, "orders"),
                                            number(doc, "revenueCents")};
                        }}};
}

opossum::ProjectionDefinition<StockLevel> stockLevels() {
  return {
      .name = kStockLevels,
      .eventTypes = {kItemDefined, kStockReceived, kItemAdded},
      .keySelector = [](const SequencedEvent& e) { return stringMember(e, "sku"); },
      .apply = [](std::optional<StockLevel> current,
                  const SequencedEvent& e) -> std::optional<StockLevel> {
        StockLevel level = current.value_or(StockLevel{});
        if (e.event.eventType == kItemDefined) {
          level.sku = stringMember(e, "sku");
          level.name = stringMember(e, "name");
        } else if (e.event.eventType == kStockReceived) {
          level.onHand += intMember(e, "quantity");
        } else {
          level.onHand -= intMember(e, "quantity");
        }
        return level;
      },
      .tags =
          [](const StockLevel& l) {
            const char* stock = l.onHand <= 0 ? "out" : l.onHand < 3 ? "low" : "ok";
            return std::vector<opossum::Tag>{{"stock", stock}};
          },
      .codec = {.toJson =
                    [](const StockLevel& l) {
                      return JsonObject()
                          .add("sku", l.sku)
                          .add("name", l.name)
                          .add("onHand", l.onHand)
                          .text();
                    },
                .fromJson =
                    [](std::string_view json) {
                      auto doc = parseState(json, "stock level");
                      return StockLevel{text(doc, "sku"), text(doc, "name"), number(doc, "onHand")};
                    }}};
}

void registerReadModels(opossum::ProjectionManager& manager) {
  manager.registerProjection(orderSummaries());
  manager.registerProjection(dailySales());
  manager.registerProjection(stockLevels());
}

}  // namespace samples::pos
