// `vitrine plugins validate`: one conformance run per plugin. Starts the
// Grafana simulator, loads the plugin in a sandboxed worker (the runner
// production uses), renders every generated case (cases.h) with the
// simulator healthy and then under each fault, and applies the checks
// (checks.h) to what the host observed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "manifest/manifest.h"
#include "validate/report.h"

namespace vitrine::validate {

struct Options {
  int64_t deadline_ms = 2000;       // per render
  int jobs = 4;                     // renders in parallel
  std::filesystem::path simulator;  // empty: default_simulator_path()
  std::filesystem::path worker;     // empty: vitrine-worker beside this program
  // Progress lines for long runs (stderr); may be empty.
  std::function<void(const std::string&)> progress;
};

// Validates one plugin. Returns false with `error` (exit 2) when the run
// could not take place (the simulator did not start, no temporary
// directory); a plugin that cannot load is a failed check in the report.
bool validate_plugin(const manifest::Manifest& m, const std::string& manifest_name,
                     const Options& options, Report& report, std::string& error);

}  // namespace vitrine::validate
