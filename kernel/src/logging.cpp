#include "logging.hpp"

#include <mutex>
#include <optional>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "opossum/errors.hpp"

namespace opossum::detail {

namespace {

constexpr const char* kLoggerName = "opossum";

spdlog::level::level_enum toSpdlog(sdk::LogLevel level) {
  switch (level) {
    case sdk::LogLevel::trace:
      return spdlog::level::trace;
    case sdk::LogLevel::debug:
      return spdlog::level::debug;
    case sdk::LogLevel::info:
      return spdlog::level::info;
    case sdk::LogLevel::warn:
      return spdlog::level::warn;
    case sdk::LogLevel::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

// Looks the logger up on every call instead of caching it, so a logger the application registers
// (or replaces) later is honoured.
class PluginLogger final : public sdk::Logger {
 public:
  // A plugin chosen only by file has no name in the config.
  explicit PluginLogger(const std::string& pluginName)
      : prefix_("[" + (pluginName.empty() ? std::string("plugin") : pluginName) + "] ") {}

  void log(sdk::LogLevel level, std::string_view message) override {
    auto target = logger();
    const auto spdLevel = toSpdlog(level);
    if (!target->should_log(spdLevel)) return;
    target->log(spdLevel, "{}{}", prefix_, message);
  }

  bool enabled(sdk::LogLevel level) const override { return logger()->should_log(toSpdlog(level)); }

 private:
  std::string prefix_;
};

}  // namespace

std::shared_ptr<spdlog::logger> logger() {
  if (auto existing = spdlog::get(kLoggerName)) return existing;
  // Serialises creation; another thread (or the application) may still register the name between
  // get() and register_logger(), which then throws: take the registered one in that case.
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (auto existing = spdlog::get(kLoggerName)) return existing;
  auto created = std::make_shared<spdlog::logger>(
      kLoggerName, std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  created->set_level(spdlog::level::info);
  try {
    spdlog::register_logger(created);
  } catch (const spdlog::spdlog_ex&) {
    if (auto existing = spdlog::get(kLoggerName)) return existing;
  }
  return created;
}

std::optional<spdlog::level::level_enum> parseLogLevel(const std::string& level) {
  if (level == "trace") return spdlog::level::trace;
  if (level == "debug") return spdlog::level::debug;
  if (level == "info") return spdlog::level::info;
  if (level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  if (level == "off") return spdlog::level::off;
  return std::nullopt;
}

void setLogLevel(const std::string& level, const std::string& where) {
  auto parsed = parseLogLevel(level);
  if (!parsed) {
    throw ConfigError(where + ": unknown log level '" + level +
                      "', expected one of trace, debug, info, warn, error, off");
  }
  logger()->set_level(*parsed);
}

std::shared_ptr<sdk::Logger> pluginLogger(const std::string& pluginName) {
  return std::make_shared<PluginLogger>(pluginName);
}

}  // namespace opossum::detail
