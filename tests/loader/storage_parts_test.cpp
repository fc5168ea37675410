// Who loads the serializer and the index: from SDK minor 4 the storage asks the kernel for them
// (StorageContext::plugins); an older storage is handed them ready made.
#include <catch2/catch.hpp>
#include <filesystem>

#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::makeEvent;
using opossum::test::TempDir;
namespace fs = std::filesystem;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);
const fs::path kStorageMinorThree = fs::path(OPOSSUM_LOADER_FIXTURE_DIR) / "storage_minor_three" /
                                    "libfixture_storage_minor_three.so";

std::vector<std::string> kinds(const StoreDescription& description) {
  std::vector<std::string> out;
  for (const auto& plugin : description.plugins) out.push_back(plugin.kind + " " + plugin.name);
  return out;
}

}  // namespace

TEST_CASE("a storage of ABI minor 3 is handed its serializer and index ready made", "[loader]") {
  REQUIRE(fs::is_regular_file(kStorageMinorThree));
  TempDir dir;
  auto config = opossum::test::defaultStoreConfig(dir.path(), "shop");
  config.storage = PluginChoice{"", kStorageMinorThree, {}};
  auto store = createEventStore(config);
  store->append({makeEvent("CartOpened", "{}", {{"cart", "c1"}})});
  CHECK(store->read(Query::fromTags({{"cart", "c1"}})).size() == 1);
  CHECK(kinds(store->describe()) == std::vector<std::string>{"storage fixture-storage-minor-three",
                                                             "serializer json", "index tag-index"});
}

TEST_CASE("the file storage loads its serializer and index through the kernel", "[loader]") {
  TempDir dir;
  auto store = createEventStore(opossum::test::defaultStoreConfig(dir.path(), "shop"));
  auto description = store->describe();
  REQUIRE(kinds(description) ==
          std::vector<std::string>{"storage file-per-event", "serializer json", "index tag-index"});
  CHECK(description.plugins[1].format == "opossum-json");
  CHECK(description.plugins[2].format == "opossum-tag-index");
}
