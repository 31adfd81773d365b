#include "runtime/worker_factory.h"

#include "worker/privileges.h"
#include "worker/worker_runner.h"

namespace vitrine::runtime {

std::unique_ptr<plugins::PluginRunner> make_worker_runner(const config::Config& config,
                                                          std::string& error,
                                                          metrics::Registry* metrics) {
  worker::WorkerConfig wc;
  wc.worker_path = config.worker_path.empty() ? worker::default_worker_path() : config.worker_path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(wc.worker_path, ec)) {
    error = "the worker program '" + wc.worker_path.string() +
            "' does not exist; install vitrine-worker beside vitrine or set plugins.worker_path";
    return nullptr;
  }
  wc.max_workers = config.max_workers;
  wc.memory_budget_bytes = static_cast<uint64_t>(config.worker_memory_mb) << 20;
  wc.zygote = config.worker_zygote;
  wc.spare_workers = config.spare_workers;
  wc.worker_user = config.worker_user;
  // Under root, no worker starts without its unprivileged user: refuse now,
  // naming the key, rather than on every plugin.
  worker::WorkerIdentity identity;
  if (auto why = worker::resolve_worker_user(config.worker_user, identity); !why.empty()) {
    error = why;
    return nullptr;
  }
  wc.metrics = metrics;
  return worker::make_worker_runner(wc);
}

}  // namespace vitrine::runtime
