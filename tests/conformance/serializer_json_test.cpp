// The "json" serializer, loaded as a plugin library from the build tree, keeps every promise of
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

PluginChoice jsonChoice(opossum::sdk::PluginOptions options = {}) {
  return PluginChoice{"json", std::nullopt, std::move(options)};
}

}  // namespace

TEST_CASE("json serializer plugin conforms", "[serializer][json]") {
  PluginHost host({opossum::test::pluginDir()});
  const SerializerContext context;
  opossum::sdk::conformance::checkSerializerConformance(
      [&] { return host.create<Serializer>(jsonChoice(), context); });
}

TEST_CASE("json serializer plugin refuses unknown options", "[serializer][json]") {
  PluginHost host({opossum::test::pluginDir()});
  SerializerContext context;
  context.options = {{"pretty", "true"}};
  REQUIRE_THROWS_AS(host.create<Serializer>(jsonChoice(context.options), context),
                    opossum::ConfigError);
  REQUIRE_THROWS_WITH(host.create<Serializer>(jsonChoice(context.options), context),
                      Catch::Contains("pretty"));
}

TEST_CASE("json serializer plugin outlives the host that loaded it", "[serializer][json]") {
  std::shared_ptr<Serializer> serializer;
  {
    PluginHost host({opossum::test::pluginDir()});
    serializer = host.create<Serializer>(jsonChoice(), SerializerContext{});
  }
  opossum::SequencedEvent event;
  event.position = 1;
  event.event = {"Opened", R"({"a":1})", {{"k", "v"}}};
  REQUIRE(serializer->deserialize(serializer->serialize(event)) == event);
  REQUIRE(serializer->formatName() == "opossum-json");
}
