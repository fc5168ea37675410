// Conformance suite for serializer plugins. Call it from a Catch2 TEST_CASE of your own; it runs
// one SECTION per promise of opossum::sdk::Serializer, creating a fresh serializer with `make`
// for each run (and a second one where it checks that files outlive the object that wrote them):
//
//   TEST_CASE("my serializer conforms") {
//     opossum::sdk::conformance::checkSerializerConformance(
//         [] { return std::make_shared<MySerializer>(); });
//   }
#pragma once

#include <functional>
#include <memory>

#include "opossum/sdk/serializer.hpp"

namespace opossum::sdk::conformance {

void checkSerializerConformance(const std::function<std::shared_ptr<Serializer>()>& make);

}  // namespace opossum::sdk::conformance
