// The "file-per-event" storage, loaded as a plugin library from the build tree together with each
// in-tree serializer ("json", "cbor") and the "tag-index" index, keeps every promise of the storage
// interface.
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "opossum/sdk/conformance/storage_suite.hpp"
#include "opossum/sdk/storage.hpp"
#include "plugin_host.hpp"
#include "temp_dir.hpp"

namespace {

using opossum::detail::PluginChoice;
using opossum::detail::PluginHost;
namespace sdk = opossum::sdk;

// Each call builds what createEventStore builds: a serializer, an index over {store}/indices and
// the storage, all from plugin libraries.
std::shared_ptr<sdk::Storage> makeFileStorage(PluginHost& host, const std::filesystem::path& dir,
                                              const std::string& serializerName,
                                              sdk::PluginOptions storageOptions = {}) {
  auto fileSystem = sdk::posixFileSystem();
  auto serializer = host.create<sdk::Serializer>(PluginChoice{serializerName, std::nullopt, {}},
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

TEST_CASE("file-per-event storage plugin conforms", "[storage][file-per-event]") {
  PluginHost host({opossum::test::pluginDir()});
  for (std::string serializer : {"json", "cbor"}) {
    DYNAMIC_SECTION("with the " << serializer << " serializer") {
      sdk::conformance::checkStorageConformance(
          [&](const std::filesystem::path& dir) { return makeFileStorage(host, dir, serializer); });
    }
  }
}

TEST_CASE("file-per-event storage plugin conforms with a small journal that wraps often",
          "[storage][file-per-event]") {
  PluginHost host({opossum::test::pluginDir()});
  for (std::string serializer : {"json", "cbor"}) {
    DYNAMIC_SECTION("with the " << serializer << " serializer") {
      sdk::conformance::checkStorageConformance([&](const std::filesystem::path& dir) {
        return makeFileStorage(host, dir, serializer, {{"journalCapacityBytes", "4096"}});
      });
    }
  }
}
