// Conformance suite for index plugins. Call it from a Catch2 TEST_CASE of your own; it runs one
// SECTION per promise of opossum::sdk::Index, each in a fresh temporary folder. `make` creates an
// index over a folder; the suite calls it several times on one folder to stand for other
// processes and for restarts, so instances must share nothing but the files:
//
//   TEST_CASE("my index conforms") {
//     opossum::sdk::conformance::checkIndexConformance(
//         [](const std::filesystem::path& dir, std::shared_ptr<opossum::sdk::FileSystem> files) {
//           return std::make_shared<MyIndex>(opossum::sdk::IndexContext{dir, files, nullptr, {}});
//         });
//   }
//
// The crash checks append garbage to the end of every file under the folder (a torn write) and
// expect truncateAfter() to recover from it. The factory that takes a file system lets the suite
// also interrupt materialize() part-way (a write that fails or is torn) and expect the next call,
// or another instance, to repair it; the factory without one skips those checks.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "opossum/sdk/file_system.hpp"
#include "opossum/sdk/index.hpp"

namespace opossum::sdk::conformance {

using IndexFactory = std::function<std::shared_ptr<Index>(const std::filesystem::path& dir)>;
using IndexFactoryWithFiles = std::function<std::shared_ptr<Index>(
    const std::filesystem::path& dir, std::shared_ptr<FileSystem> fileSystem)>;

void checkIndexConformance(const IndexFactoryWithFiles& make);
void checkIndexConformance(const IndexFactory& make);

}  // namespace opossum::sdk::conformance
