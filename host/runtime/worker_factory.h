// Builds the isolated worker runner the production config selects.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "metrics/metrics.h"
#include "plugins/runner.h"

namespace vitrine::runtime {

// Returns nullptr with `error` set when workers cannot be started. The
// worker gauges and counters (vitrine_worker*) go to `metrics` when given.
std::unique_ptr<plugins::PluginRunner> make_worker_runner(const config::Config& config,
                                                          std::string& error,
                                                          metrics::Registry* metrics = nullptr);

}  // namespace vitrine::runtime
