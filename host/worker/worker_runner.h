// Worker mode: every plugin renders in sandboxed `vitrine-worker` processes,
// one pool of workers per (plugin, space). Capability calls come back over
// the IPC socket and run here, through the same capability tables and
// CallServices as in-process mode (docs/security/isolation.md).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "plugins/runner.h"

namespace vitrine::metrics {
class Registry;
}

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
  // Under a root host, the user workers switch to before any plugin code
  // runs (its primary group; no supplementary groups). Not root: unused.
  std::string worker_user = "nobody";
  uint64_t address_space_bytes = 512ull << 20;  // RLIMIT_AS (not under ASan)
  uint64_t max_rss_bytes = 512ull << 20;        // supervisor kills above this resident size
  uint32_t cpu_seconds = 600;                   // RLIMIT_CPU over a worker's life
  uint32_t max_open_files = 64;                 // RLIMIT_NOFILE
  int64_t start_timeout_ms = 10'000;            // hello -> ready
  int64_t kill_grace_ms = 250;                  // past the render deadline before SIGKILL
  int max_workers_per_key = 4;                  // concurrent renders per (plugin, space)
  // All workers of this runner. 0 = sized by memory: memory_budget_bytes
  // divided by the measured idle memory of one worker (PSS, or private
  // resident memory when PSS is unreadable), at least 16 and at most a
  // quarter of the host's RLIMIT_NOFILE (each worker holds one socket).
  int max_workers = 0;
  uint64_t memory_budget_bytes = 1ull << 30;  // for max_workers = 0
  // Start workers by forking them from a per-plugin fork server (zygote)
  // that has already exec'd, checked the manifest and applied the
  // space-independent part of the sandbox; false: exec every worker.
  bool zygote = true;
  // With zygotes: forked workers kept ready per plugin, not yet given to a
  // space, so a new space's first render does not wait for a start (a
  // refill thread forks replacements in the background). 0 = none.
  int spare_workers = 2;
  int64_t idle_timeout_ms = 5 * 60'000;  // idle workers are reaped after this
  int64_t backoff_initial_ms = 100;      // after a crash; doubles per crash in a row
  int64_t backoff_max_ms = 30'000;
  // Where the worker gauges and counters go (vitrine_worker*); may be null.
  metrics::Registry* metrics = nullptr;
};

// Memory of the live workers, sampled from /proc.
struct WorkerMemory {
  int workers = 0;               // live workers (idle and busy), zygotes excluded
  int idle = 0;                  // idle workers
  int zygotes = 0;               // running fork servers
  int spares = 0;                // forked workers not yet given to a space
  int cap = 0;                   // the current max_workers (sized by memory when 0)
  uint64_t idle_bytes_mean = 0;  // mean memory of one idle worker (sampled)
  uint64_t worker_bytes = 0;     // estimated total over live workers
  uint64_t zygote_bytes = 0;     // total over zygotes
  bool pss = false;              // true: PSS (smaps_rollup); false: resident - shared (statm)
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
  // memory(), for a /metrics scrape.
  void refresh_metrics() override { (void)memory(); }
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
  // Of those, how many were forked from a zygote (the rest were exec'd).
  int workers_forked() const;
  // The pids of the idle workers of (plugin, space), for supervision tests.
  std::vector<pid_t> idle_worker_pids(const std::string& plugin_id,
                                      const std::string& space_key) const;
  // The zygote of `plugin_id`, or -1 when none runs.
  pid_t zygote_pid(const std::string& plugin_id) const;
  // Samples worker memory now (at most 64 idle workers are read; the mean
  // stands for the rest), updates the max_workers = 0 cap and the gauges.
  WorkerMemory memory();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::unique_ptr<plugins::PluginRunner> make_worker_runner(WorkerConfig config);

}  // namespace vitrine::worker
