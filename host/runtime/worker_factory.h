// Builds the isolated worker runner the production config selects.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "plugins/runner.h"

namespace vitrine::runtime {

// Returns nullptr with `error` set when workers cannot be started.
std::unique_ptr<plugins::PluginRunner> make_worker_runner(const config::Config& config,
                                                          std::string& error);

}  // namespace vitrine::runtime
