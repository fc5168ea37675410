// Vendor projection plugins (OPOSSUM_PLUGIN_PROJECTION): loading them and adapting them to the
// manager's type-erased projections.
#pragma once

#include <memory>
#include <string>

#include "opossum/projections.hpp"
#include "opossum/sdk/projection.hpp"

namespace opossum::detail {

class ProjectionManagerCore;

// A vendor projection as the manager runs it: state type std::string (the plugin's JSON, passed
// through unchanged), so getStore<std::string>(name) reads it. The returned functions own the
// plugin object, which keeps its library loaded, and call it one at a time.
JsonProjection adaptProjectionPlugin(std::shared_ptr<sdk::Projection> plugin,
                                     const std::string& pluginName);

// Loads the projection plugin `pluginName` from the plugin search path of the manager's store
// (plugins.path of its config, OPOSSUM_PLUGIN_PATH, the installed plugin folder). PluginError when
// it is missing, of another kind or cannot be loaded.
std::shared_ptr<sdk::Projection> loadProjectionPlugin(const ProjectionManagerCore& core,
                                                      const std::string& pluginName);

}  // namespace opossum::detail
