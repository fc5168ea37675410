// A counter projection for the projection tests, with a RapidJSON codec: the way an application
// gives the JSON codec of its state type.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>
#include <vector>

#include "opossum/projections.hpp"
#include "opossum/types.hpp"

namespace opossum::test {

struct Counter {
  long long count = 0;
  std::string shop;
  friend bool operator==(const Counter&, const Counter&) = default;
};

inline JsonCodec<Counter> counterCodec() {
  return JsonCodec<Counter>{.toJson =
                                [](const Counter& c) {
                                  rapidjson::StringBuffer buffer;
                                  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
                                  writer.StartObject();
                                  writer.Key("count");
                                  writer.Int64(c.count);
                                  writer.Key("shop");
                                  writer.String(c.shop.data(),
                                                static_cast<rapidjson::SizeType>(c.shop.size()));
                                  writer.EndObject();
                                  return std::string(buffer.GetString(), buffer.GetSize());
                                },
                            .fromJson =
                                [](std::string_view json) {
                                  rapidjson::Document doc;
                                  doc.Parse(json.data(), json.size());
                                  return Counter{doc["count"].GetInt64(), doc["shop"].GetString()};
                                }};
}

// The "shop" member of a payload.
inline std::string shopOf(const SequencedEvent& event) {
  rapidjson::Document doc;
  doc.Parse(event.event.event.c_str());
  return doc["shop"].GetString();
}

inline NewEvent sale(const std::string& shop) {
  return NewEvent{DomainEvent{"SaleMade", R"({"shop":")" + shop + R"("})", {{"shop", shop}}}, {}};
}
inline NewEvent closing(const std::string& shop) {
  return NewEvent{DomainEvent{"ShopClosed", R"({"shop":")" + shop + R"("})", {{"shop", shop}}}, {}};
}
inline NewEvent noise() { return NewEvent{DomainEvent{"Noise", R"({"x":1})", {}}, {}}; }

// Counts SaleMade per shop; ShopClosed deletes the shop. Tags: shop, and size small/big (>= 3).
inline ProjectionDefinition<Counter> counterProjection(std::string name = "sales") {
  return ProjectionDefinition<Counter>{
      .name = std::move(name),
      .eventTypes = {"SaleMade", "ShopClosed"},
      .keySelector = [](const SequencedEvent& e) { return shopOf(e); },
      .apply = [](std::optional<Counter> current,
                  const SequencedEvent& e) -> std::optional<Counter> {
        if (e.event.eventType == "ShopClosed") return std::nullopt;
        Counter next = current.value_or(Counter{0, shopOf(e)});
        ++next.count;
        return next;
      },
      .tags =
          [](const Counter& c) {
            return std::vector<Tag>{{"shop", c.shop}, {"size", c.count >= 3 ? "big" : "small"}};
          },
      .codec = counterCodec()};
}

}  // namespace opossum::test
