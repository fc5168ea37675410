// Conformance suite for storage plugins. Call it from a Catch2 TEST_CASE of your own; it runs one
// SECTION per promise of opossum::sdk::Storage (the DCB semantics of SPEC §1, at the level of
// AppendRequest/AppendResult), each in a fresh temporary store directory. `make` opens a storage
// instance over a store directory; the suite calls it more than once per directory to check that
// instances share what is committed and that a reopened store keeps everything:
//
//   TEST_CASE("my storage conforms") {
//     opossum::sdk::conformance::checkStorageConformance([](const std::filesystem::path& dir) {
//       return std::make_shared<MyStorage>(contextFor(dir));
//     });
//   }
//
// The suite hands the storage events the way the kernel does: validated, tags without
// duplicates, timestamps set (whole milliseconds, the precision every storage must keep).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "opossum/sdk/storage.hpp"

namespace opossum::sdk::conformance {

void checkStorageConformance(
    const std::function<std::shared_ptr<Storage>(const std::filesystem::path& storeDir)>& make);

}  // namespace opossum::sdk::conformance
