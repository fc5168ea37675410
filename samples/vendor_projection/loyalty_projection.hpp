// The "acme-loyalty" projection: loyalty points per customer, kept by Opossum like any other
// projection. Events (payloads are JSON objects):
//   PurchaseCompleted {"customerId", "amountCents"}  earns 1 point per whole currency unit
//   PointsRedeemed    {"customerId", "points"}       spends points (never below 0)
//   CustomerForgotten {"customerId"}                 deletes the customer's instance
// Key: the customer id. State: {"points": n, "tier": "bronze" | "silver" | "gold"} (silver from
// 500 points, gold from 1500). Tags: tier:{tier}, so an application can ask for every gold
// customer with queryByTag({"tier", "gold"}).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "opossum/sdk/projection.hpp"

namespace acme {

class LoyaltyProjection final : public opossum::sdk::Projection {
 public:
  std::string name() const override { return "acme-loyalty"; }
  std::vector<std::string> eventTypes() const override;
  std::string keyOf(const opossum::SequencedEvent& event) override;
  std::optional<std::string> apply(const std::optional<std::string>& currentJson,
                                   const opossum::SequencedEvent& event) override;
  std::vector<opossum::Tag> tags(std::string_view stateJson) override;

  static std::string tierOf(long long points);
};

}  // namespace acme
