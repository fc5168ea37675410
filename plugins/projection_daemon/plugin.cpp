#include <memory>

#include "opossum/sdk/plugin.hpp"
#include "polling_runner.hpp"

OPOSSUM_PLUGIN(opossum::sdk::ProjectionRunner, "projection-daemon", "1.0.0",
               "Polls the store and updates every projection in a background thread",
               [](const opossum::sdk::ProjectionRunnerContext& context) {
                 return std::make_unique<opossum::plugins::projection_daemon::PollingRunner>(
                     context);
               })
