// The running host's controller (DESIGN.md "Day two"): writers (CLI, API,
// UI, another host) change only desired state in the store and bump its
// change feed in the same transaction; this loop brings the process's
// actual state to it.
//
// Each pass reads the one-row change feed (one SELECT) and, when it moved:
//   * seq moved: every in-process snapshot of store state (space states,
//     authorization answers, the page cache) is dropped, so a change made
//     by another process applies here within one period;
//   * keyring_generation moved: the keyring file is re-read, proved against
//     the data (store/key_check.h) and swapped in, so new records are sealed
//     with the newest key; a file that does not prove is refused and the
//     old keyring kept (the status says why).
// Passes are idempotent: a pass that fails is retried on the next period,
// and a restarted host converges from the feed alone.
//
// When a pass runs: at once when the backend announces a change (PostgreSQL
// with store.notify: every bump sends NOTIFY at commit and
// Backend::wait_for_change() wakes on it), else after one period. The
// period poll stays the safety net, never replaced by the announcement:
// an announcement made while the listen connection was down is lost, a
// pooler in transaction mode (store.notify: false) cannot deliver any, and
// SQLite has none (store/backend.h); the feed row is the truth and is read
// at least once a period. The thread waits in slices of at most
// kMaxWaitSlice, so stop() returns within one slice however long the period.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "metrics/metrics.h"
#include "store/store.h"

namespace vitrine::reconcile {

struct Status {
  int64_t desired_seq = 0;  // the feed as last read
  int64_t applied_seq = 0;  // what this process has applied
  int64_t desired_keyring_generation = 0;
  int64_t applied_keyring_generation = 0;
  std::string keyring_ids;  // "k1,k2": the keyring in use
  std::string error;        // why the last pass did not converge; empty when it did
  int64_t passes = 0;
  // What wakes a pass: "notify" (PostgreSQL, the listen connection is up),
  // "poll" (SQLite, or store.notify: false), or "poll: WHY" while the
  // listen connection is down (changes then arrive within the poll period;
  // the connection is opened again on a later wait). Not part of
  // converged(): polling is slower, not wrong.
  std::string wake = "poll";
  bool converged() const {
    return error.empty() && desired_seq == applied_seq &&
           desired_keyring_generation == applied_keyring_generation;
  }
};

class Reconciler {
 public:
  // `metrics` (optional) counts passes, applied changes, keyring swaps and
  // failed passes, and what woke each pass (vitrine_reconcile_wakes_total:
  // by notify or by poll).
  explicit Reconciler(store::Store& store, metrics::Registry* metrics = nullptr,
                      std::chrono::milliseconds period = std::chrono::milliseconds(200));
  ~Reconciler();
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  // Called on every pass that saw the feed move (and on the first), after
  // the in-process snapshots were dropped: the runtime applies the plugin
  // desired state there. Returns why it could not converge, or empty.
  // Set before start(). [main-thread]
  void on_change(std::function<std::string()> apply) { apply_ = std::move(apply); }

  // Runs passes on a thread until stop() or destruction. [main-thread]
  void start();
  void stop();
  // One pass now (tests, and start() for the first pass). [thread-safe]
  void pass();
  // [thread-safe]
  Status status() const;

  // The longest the thread waits in one go before it looks at stop().
  static constexpr std::chrono::milliseconds kMaxWaitSlice{200};

 private:
  void run_pass(Status& status);
  void run_thread();
  void count_wake(const char* by);
  void note_listen(const store::Result<bool>& waited);

  void count(const char* outcome);

  store::Store& store_;
  std::function<std::string()> apply_;
  metrics::Registry* metrics_;
  const std::chrono::milliseconds period_;
  std::mutex pass_mu_;  // one pass at a time; guards first_
  bool first_ = true;
  mutable std::mutex mu_;  // guards status_ only, so status() never waits on the database
  Status status_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vitrine::reconcile
