#include "cli/runtime_open.h"

#include <iostream>
#include <string>

#include "manifest/diagnostic.h"

namespace vitrine::cli {

OpenedRuntime open_runtime(const std::filesystem::path& config_path) {
  OpenedRuntime out;
  auto loaded = config::load_config(config_path);
  if (!loaded.config) {
    for (const auto& d : loaded.diagnostics) std::cerr << manifest::format(d) << "\n";
    return out;
  }
  out.config = std::make_unique<config::Config>(std::move(*loaded.config));
  std::string error;
  out.runtime = runtime::Runtime::open(*out.config, error);
  if (!out.runtime) std::cerr << "error: " << error << "\n";
  return out;
}

}  // namespace vitrine::cli
