// The kernel's logger "opossum" and the handles lent to plugins.
#include "logging.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "opossum/errors.hpp"

using Catch::Matchers::Contains;
using opossum::sdk::LogLevel;

namespace {

// Registers an application logger named "opossum" writing to a string for one test, as an
// application configuring its own sinks would.
class CapturedLogger {
 public:
  CapturedLogger() {
    spdlog::drop("opossum");
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l %v");
    logger_ = std::make_shared<spdlog::logger>("opossum", sink);
    logger_->set_level(spdlog::level::info);
    spdlog::register_logger(logger_);
  }
  ~CapturedLogger() { spdlog::drop("opossum"); }
  std::string text() const { return out_.str(); }
  spdlog::logger& logger() { return *logger_; }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace

TEST_CASE("the kernel uses the logger the application registered as \"opossum\"", "[logging]") {
  CapturedLogger captured;
  CHECK(opossum::detail::logger().get() == &captured.logger());

  auto plugin = opossum::detail::pluginLogger("json");
  CHECK(plugin->enabled(LogLevel::info));
  CHECK_FALSE(plugin->enabled(LogLevel::debug));
  plugin->log(LogLevel::warn, "disk almost full");
  plugin->log(LogLevel::debug, "hidden at level info");
  CHECK(captured.text() == "warning [json] disk almost full\n");
  opossum::detail::pluginLogger("")->log(LogLevel::error, "chosen by file");  // no name in config
  CHECK_THAT(captured.text(), Contains("error [plugin] chosen by file"));

  opossum::detail::setLogLevel("debug", "opossum.json");
  CHECK(plugin->enabled(LogLevel::debug));
  plugin->log(LogLevel::debug, "now visible");
  CHECK_THAT(captured.text(), Contains("debug [json] now visible"));
  opossum::detail::setLogLevel("off", "opossum.json");
  CHECK_FALSE(plugin->enabled(LogLevel::error));
}

TEST_CASE("without an application logger the kernel registers its own at level info", "[logging]") {
  spdlog::drop("opossum");
  auto created = opossum::detail::logger();
  CHECK(created->name() == "opossum");
  CHECK(created->level() == spdlog::level::info);
  CHECK(spdlog::get("opossum") == created);
  CHECK(opossum::detail::logger() == created);  // created once
  spdlog::drop("opossum");
}

TEST_CASE("an unknown log level is a ConfigError naming where it came from", "[logging]") {
  CHECK_THROWS_AS(opossum::detail::setLogLevel("loud", "opossum.json"), opossum::ConfigError);
  CHECK_THROWS_WITH(opossum::detail::setLogLevel("loud", "opossum.json"),
                    Contains("opossum.json") && Contains("'loud'"));
  CHECK(opossum::detail::parseLogLevel("warn") == spdlog::level::warn);
  CHECK_FALSE(opossum::detail::parseLogLevel("WARN"));
}
