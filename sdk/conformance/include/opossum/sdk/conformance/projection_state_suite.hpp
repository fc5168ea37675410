// Conformance suite for an engine's projection state (sdk::ProjectionStates). Call it from a
// Catch2 TEST_CASE of your own; it runs one SECTION per promise, each on a fresh store
// directory. `make` gives the projection state of the store at `storeDir`; the suite calls it
// more than once per directory to check that a second object sees what the first wrote:
//
//   TEST_CASE("my engine's projection state conforms") {
//     opossum::sdk::conformance::checkProjectionStatesConformance(
//         [](const std::filesystem::path& dir) { return myStatesFor(dir); });
//   }
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "opossum/sdk/projection_state.hpp"

namespace opossum::sdk::conformance {

void checkProjectionStatesConformance(
    const std::function<std::shared_ptr<ProjectionStates>(const std::filesystem::path& storeDir)>&
        make);

}  // namespace opossum::sdk::conformance
