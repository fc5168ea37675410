// The logging handle the kernel lends to plugins, so an application configures logging in one
// place (the kernel's spdlog logger "opossum").
#pragma once

#include <string_view>

namespace opossum::sdk {

enum class LogLevel { trace, debug, info, warn, error };

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view message) = 0;
  virtual bool enabled(LogLevel level) const = 0;
};

}  // namespace opossum::sdk
