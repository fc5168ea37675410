// The "file-per-event" storage, loaded as a plugin library from the build tree together with each
// in-tree serializer ("json", "cbor") and the "tag-index" index, keeps every promise of the storage
// interface.
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "opossum/sdk/conformance/projection_state_suite.hpp"
#include "opossum/sdk/conformance/storage_suite.hpp"
#include "opossum/sdk/storage.hpp"
#include "plugin_host.hpp"
#include "temp_dir.hpp"

namespace {

using opossum::PluginChoice;
using opossum::detail::PluginHost;
namespace sdk = opossum::sdk;

// Each call builds what createEventStore builds: a serializer, an index over {store}/indices and
// the storage, all from plugin libraries.
std::shared_ptr<sdk::Storage> makeFileStorage(
    PluginHost& host, const std::filesystem::path& dir, const std::string& serializerName,
    sdk::PluginOptions storageOptions = {},
    std::shared_ptr<sdk::FileSystem> fileSystem = sdk::posixFileSystem()) {
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

// Counts the reads of the journal.
class JournalReads : public sdk::FileSystemWrapper {
 public:
  JournalReads() : FileSystemWrapper(sdk::posixFileSystem()) {}

  class File : public sdk::ReadableFile {
   public:
    File(std::unique_ptr<sdk::ReadableFile> file, JournalReads& owner)
        : file_(std::move(file)), owner_(owner) {}
    std::string readAt(std::uint64_t offset, std::size_t length) override {
      ++owner_.count;
      return file_->readAt(offset, length);
    }
    std::uint64_t size() override { return file_->size(); }
    const std::filesystem::path& path() const override { return file_->path(); }
    bool replaced() override { return file_->replaced(); }

   private:
    std::unique_ptr<sdk::ReadableFile> file_;
    JournalReads& owner_;
  };

  std::unique_ptr<sdk::ReadableFile> openReadable(const std::filesystem::path& p) override {
    auto file = FileSystemWrapper::openReadable(p);
    if (!file || p.filename() != "journal.log") return file;
    return std::make_unique<File>(std::move(file), *this);
  }

  std::atomic<int> count{0};
};

}  // namespace

TEST_CASE("consecutive events are read from the journal a chunk at a time",
          "[storage][file-per-event]") {
  PluginHost host({opossum::test::pluginDir()});
  opossum::test::TempDir dir;
  auto files = std::make_shared<JournalReads>();
  // No cache, so every read goes to the journal, which still holds every event.
  auto storage = makeFileStorage(host, dir.path(), "json", {{"eventCacheBytes", "0"}}, files);
  std::vector<opossum::NewEvent> batch;
  for (int i = 0; i < 1000; ++i) {
    opossum::NewEvent event;
    event.event.eventType = "Numbered";
    event.event.event = R"({"i":)" + std::to_string(i) + "}";
    batch.push_back(event);
  }
  sdk::AppendRequest request{&batch, nullptr};
  REQUIRE(storage->append({&request, 1}, {}).front().committed);

  const int before = files->count;
  auto events = storage->read(opossum::Query::all(), {});
  const int reads = files->count - before;
  REQUIRE(events.size() == 1000);
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].position == i + 1);
    CHECK(events[i].event.event == R"({"i":)" + std::to_string(i) + "}");
  }
  CHECK(reads < 20);  // the window's scan and a few chunks, not one read per event
}

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

TEST_CASE("the file storage's projection state conforms, in {store}/projections",
          "[storage][projections]") {
  PluginHost host({opossum::test::pluginDir()});
  sdk::conformance::checkProjectionStatesConformance([&](const std::filesystem::path& dir) {
    auto storage = makeFileStorage(host, dir, "json");
    auto* states = sdk::capabilityOf<sdk::ProjectionStates>(*storage);
    REQUIRE(states != nullptr);
    // Shares ownership of the storage, which owns the capability.
    return std::shared_ptr<sdk::ProjectionStates>(storage, states);
  });
}
