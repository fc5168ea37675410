#include "event_factory.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

namespace opossum::bench {
namespace {

constexpr std::size_t kTargetPayloadBytes = 300;
const char* const kEventTypes[] = {"OrderPlaced", "PaymentReceived", "ItemShipped",
                                   "OrderCancelled", "InvoiceSent"};

std::string makePayload(std::uint64_t i, std::mt19937_64& random) {
  std::uniform_int_distribution<int> sku(0, 99999), qty(1, 9), cents(99, 9999);
  char buffer[512];
  std::string lines;
  long total = 0;
  for (int line = 0; line < 3; ++line) {
    const int q = qty(random), c = cents(random);
    total += static_cast<long>(q) * c;
    std::snprintf(buffer, sizeof buffer, R"(%s{"sku":"SKU-%05d","qty":%d,"unitPrice":%d.%02d})",
                  line == 0 ? "" : ",", sku(random), q, c / 100, c % 100);
    lines += buffer;
  }
  std::snprintf(buffer, sizeof buffer,
                R"({"orderId":"ord-%08llu","storeId":"store-%02d","cashier":"emp-%04d",)"
                R"("lines":[%s],"total":%ld.%02ld,"currency":"EUR","paymentMethod":"card",)"
                R"("note":")",
                static_cast<unsigned long long>(i), static_cast<int>(i % 17),
                static_cast<int>(i % 250), lines.c_str(), total / 100, total % 100);
  std::string payload = buffer;
  // Pad the free-text note so every payload is about the same size.
  const std::size_t closing = 2;  // "}
  if (payload.size() + closing < kTargetPayloadBytes) {
    payload.append(kTargetPayloadBytes - payload.size() - closing, 'x');
  }
  payload += "\"}";
  return payload;
}

}  // namespace

EventFactory::EventFactory(std::size_t poolSize) {
  std::mt19937_64 random(42);  // fixed: both columns and every run store the same bytes
  payloads_.reserve(poolSize);
  for (std::size_t i = 0; i < poolSize; ++i) payloads_.push_back(makePayload(i, random));
}

NewEvent EventFactory::make(std::uint64_t i, std::vector<Tag> tags) const {
  NewEvent event;
  event.event.eventType = kEventTypes[i % std::size(kEventTypes)];
  event.event.event = payloads_[i % payloads_.size()];
  event.event.tags = std::move(tags);
  event.metadata.timestamp = std::chrono::system_clock::now();
  return event;
}

double EventFactory::averagePayloadBytes() const {
  double sum = 0;
  for (const auto& p : payloads_) sum += static_cast<double>(p.size());
  return payloads_.empty() ? 0 : sum / static_cast<double>(payloads_.size());
}

std::uint64_t groupCount(std::uint64_t storeSize) {
  return std::max<std::uint64_t>(1, storeSize / 10);
}

std::uint64_t customerCount(std::uint64_t storeSize) {
  return std::max<std::uint64_t>(1, storeSize / 100);
}

Tag groupTag(std::uint64_t group) { return {"group", "g" + std::to_string(group)}; }
Tag customerTag(std::uint64_t customer) { return {"customer", "c" + std::to_string(customer)}; }

std::vector<Tag> storeTags(std::uint64_t i, std::uint64_t storeSize) {
  return {groupTag(i % groupCount(storeSize)), customerTag(i % customerCount(storeSize))};
}

Position lastPositionOfCustomer(std::uint64_t customer, std::uint64_t storeSize) {
  const std::uint64_t customers = customerCount(storeSize);
  // The largest i < storeSize with i mod customers == customer; positions are i + 1.
  const std::uint64_t i = customer + (storeSize - 1 - customer) / customers * customers;
  return i + 1;
}

}  // namespace opossum::bench
