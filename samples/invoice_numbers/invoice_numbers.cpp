#include "invoice_numbers.hpp"

#include <stdexcept>

#include "json_payload.hpp"

namespace samples::invoice_numbers {

using namespace std::chrono_literals;

opossum::Tag invoiceTag(long long invoiceNumber) {
  return {"invoice", std::to_string(invoiceNumber)};
}

opossum::NewEvent invoiceCreated(long long invoiceNumber, const std::string& invoiceData) {
  std::string payload;
  try {
    payload = JsonObject()
                  .add("invoiceNumber", invoiceNumber)
                  .addObject("invoiceData", invoiceData)
                  .text();
  } catch (const std::invalid_argument& e) {
    throw CommandRejected(e.what());
  }
  return opossum::toNewEvent(kInvoiceCreated, payload, {invoiceTag(invoiceNumber)});
}

opossum::ExecuteDecisionOptions defaultRetries() {
  opossum::ExecuteDecisionOptions options;
  options.maxRetries = 10;
  options.initialDelay = 5ms;
  options.maxDelay = 200ms;
  return options;
}

long long createInvoice(opossum::EventStore& store, const std::string& invoiceData,
                        const opossum::ExecuteDecisionOptions& retries) {
  return opossum::executeDecision(
      store,
      [&](opossum::EventStore& s) {
        // The "better performance" variant: only the newest invoice matters, so read just that
        // one (readLast) instead of folding every invoice ever created.
        const auto invoices = opossum::Query::fromEventTypes({kInvoiceCreated});
        std::optional<opossum::SequencedEvent> last = s.readLast(invoices);
        const long long next = last ? intMember(*last, "invoiceNumber") + 1 : 1;

        // Fails if any invoice was appended after the one we read (or, for the first invoice,
        // if any exists at all): then `next` may be taken, and executeDecision tries again.
        opossum::AppendCondition condition{invoices, std::nullopt};
        if (last) condition.afterSequencePosition = last->position;
        opossum::appendOne(s, invoiceCreated(next, invoiceData), condition);
        return next;
      },
      retries);
}

}  // namespace samples::invoice_numbers
