// The "cbor" serializer, loaded as a plugin library from the build tree, keeps every promise of
// the serializer interface.
#include <catch2/catch.hpp>
#include <memory>
#include <optional>

#include "opossum/errors.hpp"
#include "opossum/sdk/conformance/serializer_suite.hpp"
#include "opossum/sdk/serializer.hpp"
#include "plugin_host.hpp"
#include "temp_dir.hpp"

namespace {

using opossum::PluginChoice;
using opossum::detail::PluginHost;
using opossum::sdk::Serializer;
using opossum::sdk::SerializerContext;

PluginChoice cborChoice(opossum::sdk::PluginOptions options = {}) {
  return PluginChoice{"cbor", std::nullopt, std::move(options)};
}

}  // namespace

TEST_CASE("cbor serializer plugin conforms", "[serializer][cbor]") {
  PluginHost host({opossum::test::pluginDir()});
  const SerializerContext context;
  opossum::sdk::conformance::checkSerializerConformance(
      [&] { return host.create<Serializer>(cborChoice(), context); });
}

TEST_CASE("cbor serializer plugin refuses unknown options", "[serializer][cbor]") {
  PluginHost host({opossum::test::pluginDir()});
  SerializerContext context;
  context.options = {{"canonical", "true"}};
  REQUIRE_THROWS_AS(host.create<Serializer>(cborChoice(context.options), context),
                    opossum::ConfigError);
  REQUIRE_THROWS_WITH(host.create<Serializer>(cborChoice(context.options), context),
                      Catch::Contains("canonical"));
}

TEST_CASE("cbor serializer plugin outlives the host that loaded it", "[serializer][cbor]") {
  std::shared_ptr<Serializer> serializer;
  {
    PluginHost host({opossum::test::pluginDir()});
    serializer = host.create<Serializer>(cborChoice(), SerializerContext{});
  }
  opossum::SequencedEvent event;
  event.position = 1;
  event.event = {"Opened", R"({"a":1})", {{"k", "v"}}};
  REQUIRE(serializer->deserialize(serializer->serialize(event)) == event);
  REQUIRE(serializer->formatName() == "opossum-cbor");
  REQUIRE(serializer->formatVersion() == 1);
  REQUIRE(serializer->fileExtension() == ".cbor");
}
