// Worker mode: every plugin renders in sandboxed `vitrine-worker` processes,
// one pool of workers per (plugin, space). Capability calls come back over
// the IPC socket and run here, through the same capability tables and
// CallServices as in-process mode (docs/security/isolation.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "plugins/runner.h"

namespace vitrine::worker {

struct WorkerConfig {
  // The worker executable; empty = `vitrine-worker` beside this program.
  std::filesystem::path worker_path;
  // Lock the worker down (no_new_privs, seccomp, rlimits). Off only for
  // debugging the worker itself.
  bool sandbox = true;
  // Also try a fresh network namespace (needs CAP_SYS_ADMIN or unprivileged
  // user namespaces; skipped silently when unavailable).
  bool net_namespace = true;
  uint64_t address_space_bytes = 512ull << 20;  // RLIMIT_AS (not under ASan)
  uint64_t max_rss_bytes = 512ull << 20;        // supervisor kills above this resident size
  uint32_t cpu_seconds = 600;                   // RLIMIT_CPU over a worker's life
  uint32_t max_open_files = 64;                 // RLIMIT_NOFILE
  int64_t start_timeout_ms = 10'000;            // hello -> ready
  int64_t kill_grace_ms = 250;                  // past the render deadline before SIGKILL
  int max_workers_per_key = 4;                  // concurrent renders per (plugin, space)
  int max_workers = 64;                         // all workers of this runner
  int64_t idle_timeout_ms = 5 * 60'000;         // idle workers are reaped after this
  int64_t backoff_initial_ms = 100;             // after a crash; doubles per crash in a row
  int64_t backoff_max_ms = 30'000;
};

// The default worker path: `vitrine-worker` in the directory of
// /proc/self/exe.
std::filesystem::path default_worker_path();

class WorkerRunner : public plugins::PluginRunner {
 public:
  explicit WorkerRunner(WorkerConfig config);
  ~WorkerRunner() override;  // kills every worker
  WorkerRunner(const WorkerRunner&) = delete;
  WorkerRunner& operator=(const WorkerRunner&) = delete;

  using plugins::PluginRunner::add;
  bool add(const std::string& key, const manifest::Manifest& manifest,
           plugins::Refusal& refusal) override;
  plugins::RenderOutput render(const std::string& plugin_id,
                               const plugins::RenderInput& input) override;
  const char* mode() const override { return "worker"; }
  // Stops the idle workers of `key` now; busy ones finish their render and
  // are reaped when idle (WorkerConfig::idle_timeout_ms).
  void retire(const std::string& key) override;

  // What the last worker started for `plugin_id` reported as applied, e.g.
  // "netns rlimits(as,cpu,fsize,nofile) no_new_privs seccomp".
  std::string sandbox_report(const std::string& plugin_id) const;
  // Live worker processes (idle and busy).
  int worker_count() const;
  // Workers started since construction (restarts included).
  int workers_started() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::unique_ptr<plugins::PluginRunner> make_worker_runner(WorkerConfig config);

}  // namespace vitrine::worker
