// The "projection-daemon" runner: a thread that polls the store every pollingInterval, reads at
// most batchSize events after the lowest checkpoint and updates every projection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "opossum/sdk/projection.hpp"

namespace opossum::plugins::projection_daemon {

class PollingRunner final : public sdk::ProjectionRunner {
 public:
  // ConfigError for options it does not know (it has none) or a zero interval or batch size.
  explicit PollingRunner(const sdk::ProjectionRunnerContext& context);
  ~PollingRunner() override;

  void start() override;
  void stop() override;
  bool running() const override;

  // One poll: reads after the lowest checkpoint and updates. True when it read a full batch (more
  // events may be waiting). Errors propagate.
  bool pollOnce();

 private:
  void run();
  void report(const std::exception& error);

  sdk::ProjectionRunnerContext context_;
  std::mutex lifecycle_;  // serialises start and stop
  std::mutex mutex_;      // guards stopRequested_
  std::condition_variable wake_;
  bool stopRequested_ = false;
  std::thread thread_;
  std::atomic<bool> running_{false};
};

}  // namespace opossum::plugins::projection_daemon
