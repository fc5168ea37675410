// ProjectionDaemon: loads the runner plugin named in the store's config and lends it the
// manager through the SDK's ProjectionHost.
#include <spdlog/spdlog.h>

#include "logging.hpp"
#include "opossum/projections.hpp"
#include "opossum/sdk/plugin.hpp"
#include "plugin_host.hpp"
#include "projection_manager.hpp"

namespace opossum {

namespace {

constexpr int kRetryPolls = 5;

sdk::ProjectionRunner& asRunner(const std::shared_ptr<void>& runner) {
  return *static_cast<sdk::ProjectionRunner*>(runner.get());
}

}  // namespace

ProjectionDaemon::ProjectionDaemon(ProjectionManager& manager, ProjectionDaemonOptions options) {
  const auto& core = manager.core();
  const auto& config = core->storeConfig();
  ProjectionsConfig projections;  // the defaults when the store has no config
  if (config) projections = config->projections;
  pollingInterval_ = options.pollingInterval.value_or(projections.pollingInterval);
  batchSize_ = options.batchSize.value_or(projections.batchSize);
  if (pollingInterval_.count() <= 0) {
    throw InvalidArgumentError("ProjectionDaemon: pollingInterval must be positive");
  }
  if (batchSize_ == 0) throw InvalidArgumentError("ProjectionDaemon: batchSize must be positive");

  auto onError = std::move(options.onError);
  sdk::ProjectionRunnerContext context;
  // A failed projection sits out a few polls, so the polls in between serve the others.
  context.host = detail::makeProjectionHost(core, pollingInterval_ * kRetryPolls);
  context.pollingInterval = pollingInterval_;
  context.batchSize = batchSize_;
  context.onError = [onError](const std::exception& error) {
    if (!onError) {
      detail::logger()->error("projection daemon: {}", error.what());
      return;
    }
    try {
      onError(error);
    } catch (const std::exception& e) {
      detail::logger()->error("projection daemon: onError threw: {}", e.what());
    } catch (...) {
      detail::logger()->error("projection daemon: onError threw");
    }
  };
  context.logger = detail::pluginLogger(projections.runner.name);
  context.options = projections.runner.options;

  detail::PluginHost host(config ? config->pluginPaths : std::vector<std::filesystem::path>{},
                          config ? config->file : std::filesystem::path{});
  runner_ = host.create<sdk::ProjectionRunner>(projections.runner, context);
}

ProjectionDaemon::~ProjectionDaemon() {
  try {
    stop();
  } catch (...) {
    // A destructor must not throw; the runner has stopped or will stop with its object.
  }
}

void ProjectionDaemon::start() { asRunner(runner_).start(); }

void ProjectionDaemon::stop() { asRunner(runner_).stop(); }

bool ProjectionDaemon::running() const { return asRunner(runner_).running(); }

}  // namespace opossum
