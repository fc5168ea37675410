// The "tag-index" index, loaded as a plugin library from the build tree, keeps every promise of
// the index interface.
#include <catch2/catch.hpp>
#include <memory>
#include <optional>

#include "opossum/errors.hpp"
#include "opossum/sdk/conformance/index_suite.hpp"
#include "opossum/sdk/file_system.hpp"
#include "opossum/sdk/index.hpp"
#include "plugin_host.hpp"
#include "temp_dir.hpp"

namespace {

using opossum::PluginChoice;
using opossum::detail::PluginHost;
using opossum::sdk::Index;
using opossum::sdk::IndexContext;

// The kernel passes a plugin's options in its context.
PluginChoice tagIndexChoice() { return PluginChoice{"tag-index", std::nullopt, {}}; }

IndexContext contextFor(const std::filesystem::path& dir, opossum::sdk::PluginOptions options = {},
                        std::shared_ptr<opossum::sdk::FileSystem> fileSystem = nullptr) {
  return IndexContext{dir, fileSystem ? fileSystem : opossum::sdk::posixFileSystem(), nullptr,
                      std::move(options)};
}

}  // namespace

TEST_CASE("tag-index plugin conforms", "[index][tag-index]") {
  PluginHost host({opossum::test::pluginDir()});
  opossum::sdk::conformance::checkIndexConformance(
      [&](const std::filesystem::path& dir, std::shared_ptr<opossum::sdk::FileSystem> files) {
        return host.create<Index>(tagIndexChoice(), contextFor(dir, {}, std::move(files)));
      });
}

TEST_CASE("tag-index plugin conforms with fullRecoveryScan", "[index][tag-index]") {
  PluginHost host({opossum::test::pluginDir()});
  opossum::sdk::conformance::checkIndexConformance(
      [&](const std::filesystem::path& dir, std::shared_ptr<opossum::sdk::FileSystem> files) {
        return host.create<Index>(
            tagIndexChoice(), contextFor(dir, {{"fullRecoveryScan", "true"}}, std::move(files)));
      });
}

TEST_CASE("tag-index plugin names its format and refuses unknown options", "[index][tag-index]") {
  opossum::test::TempDir temp;
  PluginHost host({opossum::test::pluginDir()});
  auto index = host.create<Index>(tagIndexChoice(), contextFor(temp / "indices"));
  REQUIRE(index->formatName() == "opossum-tag-index");
  REQUIRE(index->formatVersion() == 2);
  REQUIRE_THROWS_AS(
      host.create<Index>(tagIndexChoice(), contextFor(temp / "indices", {{"cacheSize", "10"}})),
      opossum::ConfigError);
  REQUIRE_THROWS_AS(
      host.create<Index>(tagIndexChoice(),
                         contextFor(temp / "indices", {{"fullRecoveryScan", "maybe"}})),
      opossum::ConfigError);
}
