// License decisions, aggregated (docs/security/storage.md, "Audit"): every
// license-gated view asks the license gate, and writing one synced row per
// answer made the audit the bottleneck of such pages. Identical decisions
// (space, plugin, feature, verdict, reason) are counted in memory per time
// window and written as one row (first and last time, count) when the window
// closes, at flush() and at destruction, so the view itself never writes.
//
// Loss bound: a clean shutdown writes everything. A kill -9 (or power loss)
// loses the counts of the windows still open: at most one window of
// decisions, never an admin action (those are written in their own
// transaction). While writes fail (disk full), the counts stay in memory and
// are retried every window; the failure is reported through AuditHealth.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "store/audit.h"

namespace vitrine::store {

struct LicenseDecision {
  std::string space;
  std::string plugin;  // may be empty when the caller does not know it
  std::string feature;
  bool licensed = false;
  std::string reason;
};

class LicenseAuditAggregator {
 public:
  LicenseAuditAggregator(AuditLog& log, std::chrono::milliseconds window,
                         Clock now = system_now_ms);
  ~LicenseAuditAggregator();  // stops the writer and flushes every window
  LicenseAuditAggregator(const LicenseAuditAggregator&) = delete;
  LicenseAuditAggregator& operator=(const LicenseAuditAggregator&) = delete;

  // The hot path: one map update under a mutex, no store access. [thread-safe]
  void note(const LicenseDecision& d);
  // Writes every window, open or closed, in one transaction. [thread-safe]
  Status flush();
  void set_window(std::chrono::milliseconds window);  // [thread-safe]
  std::size_t open_windows() const;                   // [thread-safe]

 private:
  struct Window {
    LicenseDecision decision;
    int64_t first_ms = 0;
    int64_t last_ms = 0;
    int64_t count = 0;
  };
  // Writes the windows whose time is up (all of them when `all`).
  Status write(bool all);
  void run();

  AuditLog& log_;
  Clock now_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Window> windows_;
  std::chrono::milliseconds window_;
  bool stopping_ = false;
  bool started_ = false;
  std::mutex write_mu_;  // one writer at a time (the thread, flush())
  std::thread thread_;
};

}  // namespace vitrine::store
