// The public face of the plugin host (opossum/plugins.hpp).
#include "opossum/plugins.hpp"

#include "logging.hpp"
#include "opossum/config.hpp"
#include "plugin_host.hpp"

namespace opossum {

PluginSearch findPlugins(const StoreConfig& config) {
  detail::PluginHost host(config.pluginPaths, config.file);
  PluginSearch search;
  search.folders = host.searchPath();
  for (const auto& info : host.discover()) search.plugins.push_back(info);
  return search;
}

std::shared_ptr<sdk::Serializer> loadSerializer(const StoreConfig& config,
                                                const PluginChoice& choice) {
  detail::PluginHost host(config.pluginPaths, config.file);
  return host.create<sdk::Serializer>(
      choice, sdk::SerializerContext{choice.options, detail::pluginLogger(choice.name)});
}

}  // namespace opossum
