// The invoice number example of dcb.events: invoices are numbered 1, 2, 3, ... without gaps or
// duplicates, even when several threads or processes create invoices at once. No counter is
// stored anywhere: the next number is the last InvoiceCreated's number + 1, and the append
// condition makes sure no invoice was created between reading that last one and appending.
#pragma once

#include <string>

#include <opossum/opossum.hpp>

#include "command_rejected.hpp"

namespace samples::invoice_numbers {

inline const std::string kInvoiceCreated = "InvoiceCreated";

opossum::Tag invoiceTag(long long invoiceNumber);  // invoice:{invoiceNumber}

// `invoiceData` is a JSON object (customer, lines, ...), kept inside the event's payload.
opossum::NewEvent invoiceCreated(long long invoiceNumber, const std::string& invoiceData);

// How hard createInvoice tries when other writers keep taking the next number first.
opossum::ExecuteDecisionOptions defaultRetries();

// Creates an invoice with the next number and returns that number. CommandRejected when
// `invoiceData` is not a JSON object; AppendConditionFailedError when every attempt lost the race.
long long createInvoice(opossum::EventStore& store, const std::string& invoiceData,
                        const opossum::ExecuteDecisionOptions& retries = defaultRetries());

}  // namespace samples::invoice_numbers
