// The vendor runs the SDK's serializer conformance suite on its own plugin class.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#include <opossum/sdk/conformance/serializer_suite.hpp>

#include "text_serializer.hpp"

TEST_CASE("acme-text passes the serializer conformance suite") {
  opossum::sdk::conformance::checkSerializerConformance(
      [] { return std::make_shared<acme::TextSerializer>(); });
}
