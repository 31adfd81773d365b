#include "runtime/worker_factory.h"

#include "worker/worker_runner.h"

namespace vitrine::runtime {

std::unique_ptr<plugins::PluginRunner> make_worker_runner(const config::Config& config,
                                                          std::string& error) {
  worker::WorkerConfig wc;
  wc.worker_path = config.worker_path.empty() ? worker::default_worker_path() : config.worker_path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(wc.worker_path, ec)) {
    error = "the worker program '" + wc.worker_path.string() +
            "' does not exist; install vitrine-worker beside vitrine or set plugins.worker_path";
    return nullptr;
  }
  return worker::make_worker_runner(wc);
}

}  // namespace vitrine::runtime
