#include "projection_plugins.hpp"

#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "logging.hpp"
#include "opossum/sdk/plugin.hpp"
#include "plugin_host.hpp"
#include "projection_manager.hpp"

namespace opossum::detail {

namespace {

// The plugin object and the lock that serialises calls into it: the daemon's thread, a
// rebuilder and ProjectionStore::save may use one projection at the same time, and the SDK does
// not ask vendors to be thread-safe.
struct GuardedProjection {
  std::shared_ptr<sdk::Projection> plugin;
  std::mutex mutex;
};

}  // namespace

JsonProjection adaptProjectionPlugin(std::shared_ptr<sdk::Projection> plugin,
                                     const std::string& pluginName) {
  if (!plugin) throw PluginError("projection plugin '" + pluginName + "' created no object");
  const std::string where = "plugins.projections.libraries: projection plugin '" + pluginName + "'";
  std::string name;
  std::vector<std::string> eventTypes;
  try {
    name = plugin->name();
    eventTypes = plugin->eventTypes();
  } catch (const std::exception& e) {
    throw PluginError(where + ": name() or eventTypes() failed: " + e.what());
  }
  auto guarded = std::make_shared<GuardedProjection>();
  guarded->plugin = std::move(plugin);

  ProjectionDefinition<std::string> definition;
  definition.name = std::move(name);
  definition.eventTypes = std::move(eventTypes);
  definition.keySelector = [guarded](const SequencedEvent& event) {
    std::lock_guard lock(guarded->mutex);
    return guarded->plugin->keyOf(event);
  };
  definition.apply = [guarded](std::optional<std::string> current, const SequencedEvent& event) {
    std::lock_guard lock(guarded->mutex);
    return guarded->plugin->apply(current, event);
  };
  definition.tags = [guarded](const std::string& state) {
    std::lock_guard lock(guarded->mutex);
    return guarded->plugin->tags(state);
  };
  // The state is the plugin's JSON text; the manager checks and compacts it when it stores it.
  definition.codec.toJson = [](const std::string& state) { return state; };
  definition.codec.fromJson = [](std::string_view json) { return std::string(json); };
  return eraseProjection(std::move(definition));
}

std::shared_ptr<sdk::Projection> loadProjectionPlugin(const ProjectionManagerCore& core,
                                                      const std::string& pluginName) {
  const auto& config = core.storeConfig();
  PluginHost host(config ? config->pluginPaths : std::vector<std::filesystem::path>{},
                  config ? config->file : std::filesystem::path{});
  sdk::ProjectionContext context;
  context.logger = pluginLogger(pluginName);
  PluginChoice choice{pluginName, std::nullopt, {}};
  return host.create<sdk::Projection>(choice, context);
}

}  // namespace opossum::detail
