// The library's spdlog logger "opossum" and the sdk::Logger handle lent to plugins.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <spdlog/logger.h>

#include "opossum/sdk/logger.hpp"

namespace opossum::detail {

// The shared logger named "opossum" (registered with spdlog, so applications can configure it).
// An application that wants its own sinks registers a logger with that name before the first
// store is created (or spdlog::drop("opossum") and registers its own); otherwise a stderr color
// logger at level info is created on first use.
std::shared_ptr<spdlog::logger> logger();
// The spdlog level of a config value ("trace", "debug", "info", "warn", "error", "off").
std::optional<spdlog::level::level_enum> parseLogLevel(const std::string& level);
// Sets its level from a config value ("trace", "debug", "info", "warn", "error", "off");
// ConfigError otherwise.
void setLogLevel(const std::string& level, const std::string& where);
// A handle forwarding to logger() with the prefix "[<pluginName>] ".
std::shared_ptr<sdk::Logger> pluginLogger(const std::string& pluginName);

}  // namespace opossum::detail
