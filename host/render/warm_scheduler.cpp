#include "render/warm_scheduler.h"

#include "log/log.h"
#include "render/warm_batch.h"
#include "runtime/runtime.h"
#include "store/audit.h"
#include "store/holder.h"
#include "store/warm_schedules.h"

namespace vitrine::render {
namespace {

// Failure rules named in the log line and the audit row: enough to see
// what went wrong without a line the size of the space.
constexpr std::size_t kRulesShown = 5;

}  // namespace

WarmScheduler::WarmScheduler(runtime::Runtime& runtime, Engine& engine, WarmPages pages,
                             WarmSchedulerOptions options)
    : rt_(runtime),
      engine_(engine),
      pages_(std::move(pages)),
      opt_(std::move(options)),
      holder_(opt_.holder.empty() ? store::process_holder_name() : opt_.holder) {}

WarmScheduler::~WarmScheduler() { stop(); }

void WarmScheduler::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void WarmScheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WarmScheduler::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, opt_.period, [this] { return stopping_.load(); });
    if (stopping_) break;
    lock.unlock();
    try {
      (void)run_due_once(rt_.store().context().now());
    } catch (const std::exception& e) {
      // A bug in one pass must not end warming for good, nor the server.
      log::error("warm.pass_failed", {{"what", e.what()}});
    }
    lock.lock();
  }
}

std::vector<WarmRun> WarmScheduler::run_due_once(int64_t now_ms) {
  std::lock_guard pass(pass_mu_);
  std::vector<WarmRun> runs;
  store::WarmSchedules schedules(rt_.store().context());
  auto due = schedules.due(now_ms);
  if (!due) {
    // The store is unreachable: the schedules stay due and the next pass
    // (on this host or another) tries again.
    log::warn("warm.due_failed", {{"error", due.error().message}});
    return runs;
  }
  auto& metrics = rt_.metrics();
  for (const auto& row : *due) {
    if (stopping_) break;
    auto won = schedules.claim(row, holder_, now_ms);
    if (!won) {
      log::warn("warm.claim_failed", {{"space", row.space}, {"error", won.error().message}});
      continue;
    }
    if (!*won) {
      metrics
          .counter("vitrine_warm_claims_lost_total",
                   "Due warming runs another host claimed first (one host runs each)")
          .inc();
      continue;
    }
    runs.push_back(run_space(row.space, now_ms));
  }
  return runs;
}

WarmRun WarmScheduler::run_space(const std::string& space, int64_t started_at_ms) {
  const auto start = std::chrono::steady_clock::now();
  WarmRun run;
  run.space = space;
  run.started_at_ms = started_at_ms;
  const auto keys = rt_.plugin_set()->macro_keys;
  std::string rules;
  std::size_t rules_shown = 0;
  bool stopped = false;
  for (const auto& page : pages_.list(space)) {
    if (stopping_) {
      stopped = true;
      break;
    }
    auto markdown = pages_.read(space, page);
    if (!markdown) continue;  // deleted since it was listed
    ++run.pages;
    MacroCall defaults;
    defaults.space = space;
    defaults.page_id = page;
    std::vector<RefreshFailure> invalid;
    auto items = refresh_calls(*markdown, defaults, keys, invalid);
    auto report = refresh_in_batches(
        items, opt_.batch, [this](const MacroCall& c) { return engine_.render_macro(c); },
        std::move(invalid));
    run.refreshed += report.refreshed;
    run.failed += report.failed.size();
    for (const auto& f : report.failed) {
      if (rules_shown == kRulesShown) break;
      rules += (rules.empty() ? "" : ",") + page + "#" + std::to_string(f.macro) + ":" + f.rule;
      ++rules_shown;
    }
  }
  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count();
  run.finished_at_ms = started_at_ms + elapsed_ms;
  auto& store = rt_.store();
  store::WarmSchedules schedules(store.context());
  // On the clock of the pass (started_at_ms), so start and end compare.
  if (auto st =
          schedules.finish(space, holder_, run.finished_at_ms, static_cast<int64_t>(run.refreshed),
                           static_cast<int64_t>(run.failed));
      !st) {
    log::warn("warm.finish_failed", {{"space", space}, {"error", st.error().message}});
  }
  const bool ok = run.failed == 0 && !stopped;
  auto& metrics = rt_.metrics();
  metrics
      .counter("vitrine_warm_runs_total", "Scheduled warming runs this host ran, by result",
               {{"result", ok ? "ok" : "error"}})
      .inc();
  metrics
      .counter("vitrine_warm_macros_total", "Macros rendered by scheduled warming, by result",
               {{"result", "refreshed"}})
      .inc(static_cast<double>(run.refreshed));
  metrics
      .counter("vitrine_warm_macros_total", "Macros rendered by scheduled warming, by result",
               {{"result", "failed"}})
      .inc(static_cast<double>(run.failed));
  store::AuditEvent ev{"warm:" + holder_,
                       space,
                       "warm.run",
                       space,
                       ok ? "ok" : "error",
                       {{"pages", std::to_string(run.pages), true},
                        {"refreshed", std::to_string(run.refreshed), true},
                        {"failed", std::to_string(run.failed), true},
                        {"ms", std::to_string(elapsed_ms), true}}};
  if (!rules.empty()) ev.detail.push_back({"failed_rules", rules, false});
  if (stopped) ev.detail.push_back({"stopped", "true", false});
  // A failed audit write is reported by AuditHealth (/readyz, metrics).
  (void)store.audit().record(ev);
  log::info("warm.run", {{"space", space},
                         {"pages", std::to_string(run.pages)},
                         {"refreshed", std::to_string(run.refreshed)},
                         {"failed", std::to_string(run.failed)},
                         {"failed_rules", rules},
                         {"ms", std::to_string(elapsed_ms)},
                         {"holder", holder_},
                         {"stopped", stopped ? "true" : "false"}});
  return run;
}

}  // namespace vitrine::render
