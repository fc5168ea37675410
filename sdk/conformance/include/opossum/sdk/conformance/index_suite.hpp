// Conformance suite for index plugins. Call it from a Catch2 TEST_CASE of your own; it runs one
// SECTION per promise of opossum::sdk::Index, each in a fresh temporary folder. `make` creates an
// index over a folder; the suite calls it several times on one folder to stand for other
// processes and for restarts, so instances must share nothing but the files:
//
//   TEST_CASE("my index conforms") {
//     opossum::sdk::conformance::checkIndexConformance([](const std::filesystem::path& dir) {
//       return std::make_shared<MyIndex>(opossum::sdk::IndexContext{
//           dir, opossum::sdk::posixFileSystem(), nullptr, {}});
//     });
//   }
//
// The crash checks append garbage to the end of every file under the folder (a torn write) and
// expect truncateAfter() to recover from it.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "opossum/sdk/index.hpp"

namespace opossum::sdk::conformance {

void checkIndexConformance(
    const std::function<std::shared_ptr<Index>(const std::filesystem::path& dir)>& make);

}  // namespace opossum::sdk::conformance
