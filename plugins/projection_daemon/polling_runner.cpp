#include "polling_runner.hpp"

#include <stdexcept>
#include <string>

#include "opossum/errors.hpp"
#include "opossum/sdk/options.hpp"

namespace opossum::plugins::projection_daemon {

PollingRunner::PollingRunner(const sdk::ProjectionRunnerContext& context) : context_(context) {
  sdk::OptionReader(context_.options, "projection runner plugin 'projection-daemon'").finish();
  if (!context_.host) throw ConfigError("projection runner 'projection-daemon': no host");
  if (context_.pollingInterval.count() <= 0) {
    throw ConfigError("projection runner 'projection-daemon': pollingIntervalMs must be positive");
  }
  if (context_.batchSize == 0) {
    throw ConfigError("projection runner 'projection-daemon': batchSize must be positive");
  }
}

PollingRunner::~PollingRunner() { stop(); }

void PollingRunner::start() {
  std::lock_guard lifecycle(lifecycle_);
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopRequested_ = false;
  }
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void PollingRunner::stop() {
  std::lock_guard lifecycle(lifecycle_);
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopRequested_ = true;
  }
  wake_.notify_all();
  thread_.join();
  running_ = false;
}

bool PollingRunner::running() const { return running_; }

bool PollingRunner::pollOnce() {
  auto lowest = context_.host->lowestCheckpoint();
  if (!lowest) return false;
  auto events = context_.host->readAfter(*lowest, context_.batchSize);
  if (events.empty()) return false;
  context_.host->update(events);
  return events.size() == context_.batchSize;
}

void PollingRunner::report(const std::exception& error) {
  try {
    if (context_.onError) {
      context_.onError(error);
    } else if (context_.logger) {
      context_.logger->log(sdk::LogLevel::error, error.what());
    }
  } catch (...) {
    // A failing error handler must not end the daemon.
  }
}

void PollingRunner::run() {
  for (;;) {
    bool more = false;
    try {
      more = pollOnce();
    } catch (const std::exception& e) {
      report(e);
    } catch (...) {
      report(std::runtime_error("projection update failed with an unknown exception"));
    }
    std::unique_lock lock(mutex_);
    if (stopRequested_) return;
    // A full batch means the daemon is behind: poll again at once.
    if (!more) wake_.wait_for(lock, context_.pollingInterval, [this] { return stopRequested_; });
    if (stopRequested_) return;
  }
}

}  // namespace opossum::plugins::projection_daemon
