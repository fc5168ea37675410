// Projection plugins. Two kinds:
//
// - A projection runner (OPOSSUM_PLUGIN_PROJECTION_RUNNER, e.g. "projection-daemon") keeps the
//   projections of a store up to date. The kernel lends it a ProjectionHost: the runner decides
//   when to poll; the host reads events and updates every registered projection.
// - A vendor projection (OPOSSUM_PLUGIN_PROJECTION) is one projection whose state crosses the
//   boundary as JSON text, so it needs nothing but the SDK. The kernel stores its state, checkpoint
//   and tag index like those of an in-process projection. A deployment lists it by plugin name in
//   plugins.projections.libraries; a ProjectionManager over that store registers it under the
//   name() it returns, with state type std::string (samples/vendor_projection shows one).
//
// Exceptions thrown by ProjectionHost methods derive from opossum::Error; a runner catches them
// and hands them to ProjectionRunnerContext::onError.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "opossum/sdk/logger.hpp"
#include "opossum/sdk/options.hpp"
#include "opossum/types.hpp"

namespace opossum::sdk {

// The kernel's projection manager as a runner sees it. Thread-safe.
class ProjectionHost {
 public:
  virtual ~ProjectionHost() = default;
  // The lowest checkpoint of the projections that take live updates now (a projection being
  // rebuilt is left out); nullopt when there is none, so there is nothing to do.
  virtual std::optional<Position> lowestCheckpoint() = 0;
  // At most `maxCount` events after position `after` (exclusive), oldest first.
  virtual std::vector<SequencedEvent> readAfter(Position after, std::size_t maxCount) = 0;
  // Applies the events (ascending) to every projection past its checkpoint. Every projection is
  // tried; when some fail, one opossum::Error naming each failed projection is thrown afterwards.
  virtual void update(const std::vector<SequencedEvent>& events) = 0;
};

// Keeps projections up to date in the background.
class ProjectionRunner {
 public:
  virtual ~ProjectionRunner() = default;  // stops the runner first
  // Starts the background work; a second start while running does nothing.
  virtual void start() = 0;
  // Stops and waits for the background work; returns within one polling interval (plus the batch
  // in progress). Does nothing when not running.
  virtual void stop() = 0;
  virtual bool running() const = 0;
};

struct ProjectionRunnerContext {
  std::shared_ptr<ProjectionHost> host;
  std::chrono::milliseconds pollingInterval{5000};
  std::size_t batchSize = 1000;  // events per read, at least 1
  // Receives every failure (reading, updating); the runner keeps running. May be empty. Called
  // from the runner's thread.
  std::function<void(const std::exception&)> onError;
  std::shared_ptr<Logger> logger;
  PluginOptions options;  // plugins.projections.runner.* less name, file, pollingIntervalMs, ...
};

// A vendor projection: state is JSON text. Methods may throw opossum::Error (or any
// std::exception); the kernel reports them as a failure of this projection (its checkpoint stays,
// the batch is retried later). The kernel calls one object from one thread at a time.
class Projection {
 public:
  virtual ~Projection() = default;
  // Unique among the projections of a manager; names its folder under projections/.
  virtual std::string name() const = 0;
  // The event types it reads; empty: every event.
  virtual std::vector<std::string> eventTypes() const = 0;
  // The key of the instance an event belongs to.
  virtual std::string keyOf(const SequencedEvent& event) = 0;
  // The new state (JSON text) from the current one (nullopt: no instance yet); nullopt deletes the
  // instance.
  virtual std::optional<std::string> apply(const std::optional<std::string>& currentJson,
                                           const SequencedEvent& event) = 0;
  // The tags of a state, for tag queries; may be empty.
  virtual std::vector<Tag> tags(std::string_view stateJson) = 0;
};

struct ProjectionContext {
  std::shared_ptr<Logger> logger;
  PluginOptions options;
};

}  // namespace opossum::sdk
