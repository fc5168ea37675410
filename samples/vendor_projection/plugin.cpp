// The plugin's entry point: the only exported symbol of libacme_loyalty.so.
#include <memory>

#include "loyalty_projection.hpp"
#include "opossum/sdk/plugin.hpp"

OPOSSUM_PLUGIN(opossum::sdk::Projection, "acme-loyalty", "1.0.0",
               "ACME loyalty points and tier per customer",
               [](const opossum::sdk::ProjectionContext&) {
                 return std::make_unique<acme::LoyaltyProjection>();
               })
