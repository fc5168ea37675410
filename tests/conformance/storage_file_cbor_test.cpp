// The "file-per-event" storage with the "cbor" serializer (and the "tag-index" index), all loaded
// as plugin libraries from the build tree, keeps every promise of the storage interface: nothing in
// the storage depends on event files being JSON text.
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <optional>

#include "opossum/sdk/conformance/storage_suite.hpp"
#include "opossum/sdk/storage.hpp"
#include "plugin_host.hpp"
#include "temp_dir.hpp"

namespace {

using opossum::detail::PluginChoice;
using opossum::detail::PluginHost;
namespace sdk = opossum::sdk;

// What createEventStoreFromConfig builds when the config chooses the "cbor" serializer.
std::shared_ptr<sdk::Storage> makeCborStorage(PluginHost& host, const std::filesystem::path& dir,
                                              sdk::PluginOptions storageOptions = {}) {
  auto fileSystem = sdk::posixFileSystem();
  auto serializer = host.create<sdk::Serializer>(PluginChoice{"cbor", std::nullopt, {}},
                                                 sdk::SerializerContext{});
  auto index = host.create<sdk::Index>(PluginChoice{"tag-index", std::nullopt, {}},
                                       sdk::IndexContext{dir / "indices", fileSystem, nullptr, {}});
  sdk::StorageContext context;
  context.storeDirectory = dir;
  context.serializer = serializer;
  context.index = index;
  context.fileSystem = fileSystem;
  context.options = std::move(storageOptions);
  return host.create<sdk::Storage>(PluginChoice{"file-per-event", std::nullopt, {}}, context);
}

}  // namespace

TEST_CASE("file-per-event storage plugin conforms with the cbor serializer",
          "[storage][file-per-event][cbor]") {
  PluginHost host({opossum::test::pluginDir()});
  sdk::conformance::checkStorageConformance(
      [&](const std::filesystem::path& dir) { return makeCborStorage(host, dir); });
}

TEST_CASE("file-per-event storage plugin conforms with the cbor serializer and a small journal",
          "[storage][file-per-event][cbor]") {
  PluginHost host({opossum::test::pluginDir()});
  sdk::conformance::checkStorageConformance([&](const std::filesystem::path& dir) {
    return makeCborStorage(host, dir, {{"journalCapacityBytes", "4096"}});
  });
}
