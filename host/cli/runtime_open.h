// The commands that render or talk to Grafana (render, spaces test,
// spaces dashboard-uses) start the same way: read vitrine.yml, then open the
// runtime (store, keyring, plugins) it describes. One place, so they report
// a bad file or a runtime that cannot open in the same words.
#pragma once

#include <filesystem>
#include <memory>

#include "config/config.h"
#include "runtime/runtime.h"

namespace vitrine::cli {

struct OpenedRuntime {
  // The Config the runtime was opened with, at a stable address: the
  // runtime may keep references into it, and this struct is moved.
  std::unique_ptr<config::Config> config;
  std::unique_ptr<runtime::Runtime> runtime;  // null when the file or the runtime failed
};

// Reads `config_path` and opens its runtime. On failure the diagnostics (or
// the runtime's error) are on stderr, `runtime` is null and the command
// should exit 2 (a configuration or start-up error, cli/commands.h).
OpenedRuntime open_runtime(const std::filesystem::path& config_path);

}  // namespace vitrine::cli
