// Scheduled cache warming (docs/freshness.md, "Scheduled warming"): a
// thread of the server that, every `period`, lists the warming schedules
// that are due (store/warm_schedules.h), claims each, and renders every
// macro of every page of the space past the caches, the same way as a
// page's "refresh all" (render/warm_batch.h): through the engine, so
// plugin approval, scopes, egress policy, the space's token rules and the
// sanitizer all apply exactly as on a view.
//
// Why it cannot starve readers: runs are one at a time on this one thread,
// one page at a time, `batch` macros at once (2 by default). The engine's
// render scheduler (render_scheduler.h) queues them in the space's lane,
// round-robin with every other space, and caps a space's concurrent renders
// (per_space), so a warming run holds at most `batch` render threads and
// other spaces' views are served between its renders.
//
// Cluster: every host runs this loop against the shared database; the
// claim (one conditional UPDATE) lets exactly one host run each due
// warming, and next_due_at moves to now + interval at the claim, so a host
// that dies mid-run delays the next run by at most one interval.
//
// Each run writes one JSON log line (event warm.run: space, pages,
// refreshed, failed, the first failure rules, milliseconds, holder) and
// one audit row (warm.run), and counts vitrine_warm_runs_total{result},
// vitrine_warm_macros_total{result} and vitrine_warm_claims_lost_total.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "render/engine.h"

namespace vitrine::runtime {
class Runtime;
}

namespace vitrine::render {

// Macros of one scheduled run rendered at the same time.
inline constexpr std::size_t kScheduledWarmBatch = 2;

struct WarmSchedulerOptions {
  std::chrono::milliseconds period{15'000};  // how often due schedules are looked for
  std::size_t batch = kScheduledWarmBatch;   // clamped to 1..kMaxRefreshBatch
  std::string holder;  // names this host in the schedule; empty: host name, pid, random
};

// Where a space's pages come from (the server: <pages_dir>/SPACE/NAME.md).
// Both are called from the warming thread; they must be [thread-safe].
struct WarmPages {
  std::function<std::vector<std::string>(const std::string& space)> list;
  // The page's Markdown; null when it is gone.
  std::function<std::shared_ptr<const std::string>(const std::string& space,
                                                   const std::string& page)>
      read;
};

// One run this host claimed and ran.
struct WarmRun {
  std::string space;
  std::size_t pages = 0;
  std::size_t refreshed = 0;
  std::size_t failed = 0;
  int64_t started_at_ms = 0;
  int64_t finished_at_ms = 0;
};

class WarmScheduler {
 public:
  // `runtime` and `engine` must outlive this object (stop() first).
  WarmScheduler(runtime::Runtime& runtime, Engine& engine, WarmPages pages,
                WarmSchedulerOptions options = {});
  ~WarmScheduler();  // stop()
  WarmScheduler(const WarmScheduler&) = delete;
  WarmScheduler& operator=(const WarmScheduler&) = delete;

  // Starts the thread; the first look is one period after start. [main-thread]
  void start();
  // Ends the run in progress after its current page and joins the thread.
  // Idempotent. [main-thread]
  void stop();

  // One pass by hand (tests, and the thread's body): every schedule due at
  // `now_ms` that this host wins the claim of is run to its end. Returns
  // the runs. Passes are serialized. [thread-safe]
  std::vector<WarmRun> run_due_once(int64_t now_ms);

  const std::string& holder() const { return holder_; }

 private:
  WarmRun run_space(const std::string& space, int64_t started_at_ms);
  void loop();

  runtime::Runtime& rt_;
  Engine& engine_;
  WarmPages pages_;
  WarmSchedulerOptions opt_;
  std::string holder_;
  std::mutex pass_mu_;  // one pass at a time
  std::mutex mu_;       // guards the wake-up below
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace vitrine::render
