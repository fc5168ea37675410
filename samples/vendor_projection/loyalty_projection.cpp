#include "loyalty_projection.hpp"

#include <algorithm>

#include "flat_json.hpp"
#include "opossum/errors.hpp"

namespace acme {

namespace {

std::string where(const opossum::SequencedEvent& event) {
  return "acme-loyalty: " + event.event.eventType + " at position " +
         std::to_string(event.position);
}

std::string stateText(long long points) {
  return "{\"points\":" + std::to_string(points) +
         ",\"tier\":" + quote(LoyaltyProjection::tierOf(points)) + "}";
}

}  // namespace

std::vector<std::string> LoyaltyProjection::eventTypes() const {
  return {"PurchaseCompleted", "PointsRedeemed", "CustomerForgotten"};
}

std::string LoyaltyProjection::keyOf(const opossum::SequencedEvent& event) {
  return FlatJson::parse(event.event.event, where(event)).requireString("customerId");
}

std::optional<std::string> LoyaltyProjection::apply(const std::optional<std::string>& currentJson,
                                                    const opossum::SequencedEvent& event) {
  const std::string& type = event.event.eventType;
  if (type == "CustomerForgotten") return std::nullopt;
  const FlatJson payload = FlatJson::parse(event.event.event, where(event));
  long long points = 0;
  if (currentJson) {
    points = FlatJson::parse(*currentJson, "acme-loyalty: state").requireInteger("points");
  }
  if (type == "PurchaseCompleted") {
    const long long cents = payload.requireInteger("amountCents");
    if (cents < 0) throw opossum::InvalidArgumentError(where(event) + ": amountCents < 0");
    points += cents / 100;
  } else if (type == "PointsRedeemed") {
    points = std::max(0LL, points - payload.requireInteger("points"));
  } else {
    throw opossum::InvalidArgumentError(where(event) + ": not an event type of acme-loyalty");
  }
  return stateText(points);
}

std::vector<opossum::Tag> LoyaltyProjection::tags(std::string_view stateJson) {
  return {{"tier", FlatJson::parse(stateJson, "acme-loyalty: state").requireString("tier")}};
}

std::string LoyaltyProjection::tierOf(long long points) {
  if (points >= 1500) return "gold";
  if (points >= 500) return "silver";
  return "bronze";
}

}  // namespace acme
