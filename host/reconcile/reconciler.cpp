#include "reconcile/reconciler.h"

#include <algorithm>

#include "store/key_check.h"

namespace vitrine::reconcile {
namespace {

std::string joined_ids(const std::shared_ptr<const store::crypto::Keyring>& ring) {
  std::string out;
  if (!ring) return out;
  for (const auto& id : ring->ids()) out += (out.empty() ? "" : ",") + id;
  return out;
}

}  // namespace

Reconciler::Reconciler(store::Store& store, metrics::Registry* metrics,
                       std::chrono::milliseconds period)
    : store_(store), metrics_(metrics), period_(period) {}

void Reconciler::count(const char* outcome) {
  if (metrics_ == nullptr) return;
  metrics_
      ->counter("vitrine_reconcile_passes_total",
                "Reconciler passes by outcome: idle (nothing changed), applied, keyring (the "
                "keyring was swapped), failed (see /readyz for why)",
                {{"outcome", outcome}})
      .inc();
}

Reconciler::~Reconciler() { stop(); }

void Reconciler::count_wake(const char* by) {
  if (metrics_ == nullptr) return;
  metrics_
      ->counter("vitrine_reconcile_wakes_total",
                "What started a reconciler pass: notify (another connection announced a "
                "committed change) or poll (the period ran out)",
                {{"by", by}})
      .inc();
}

void Reconciler::note_listen(const store::Result<bool>& waited) {
  std::string wake = waited.ok() ? std::string("notify") : "poll: " + waited.error().message;
  std::lock_guard<std::mutex> lock(mu_);
  if (status_.wake != wake) status_.wake = std::move(wake);
}

void Reconciler::start() {
  // LISTEN before the first read of the feed, so a change committed
  // between that read and the thread's first wait is announced too. An
  // error here (no listen connection) leaves it to the poll.
  if (store_.backend().announces_changes()) {
    note_listen(store_.backend().wait_for_change(std::chrono::milliseconds(0)));
  }
  pass();
  thread_ = std::thread([this] { run_thread(); });
}

void Reconciler::run_thread() {
  auto& backend = store_.backend();
  const bool announced_here = backend.announces_changes();
  const auto slice = std::min(period_, kMaxWaitSlice);
  auto last_pass = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stopping_) {
    bool by_notice = false;
    bool listened = false;
    if (announced_here) {
      lock.unlock();
      auto woke = backend.wait_for_change(slice);
      note_listen(woke);
      lock.lock();
      // A lost listen connection answers an error: the slice is waited
      // out below and the backend opens it again on a later wait.
      listened = woke.ok();
      by_notice = woke.ok() && *woke;
    }
    if (!listened) stop_cv_.wait_for(lock, slice, [this] { return stopping_; });
    if (stopping_) break;
    const auto now = std::chrono::steady_clock::now();
    if (!by_notice && now - last_pass < period_) continue;
    lock.unlock();
    count_wake(by_notice ? "notify" : "poll");
    pass();
    last_pass = std::chrono::steady_clock::now();
    lock.lock();
  }
}

void Reconciler::stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Reconciler::pass() {
  std::lock_guard<std::mutex> one_pass(pass_mu_);
  Status next = status();
  const Status before = next;
  run_pass(next);
  if (!next.error.empty()) {
    count("failed");
  } else if (next.applied_keyring_generation != before.applied_keyring_generation) {
    count("keyring");
  } else if (next.applied_seq != before.applied_seq) {
    count("applied");
  } else {
    count("idle");
  }
  std::lock_guard<std::mutex> lock(mu_);
  next.wake = status_.wake;  // the waiting thread's to say, not the pass's
  status_ = std::move(next);
}

void Reconciler::run_pass(Status& st) {
  ++st.passes;
  auto feed = store_.backend().read_change_feed();
  if (!feed) {
    // The database is unreachable: keep serving what is in memory and say
    // so; the next pass tries again.
    st.error = "cannot read the change feed: " + feed.error().message;
    return;
  }
  st.desired_seq = feed->seq;
  st.desired_keyring_generation = feed->keyring_generation;
  if (first_) {
    // What this process loaded at start is the state as of now.
    st.applied_seq = feed->seq;
    st.applied_keyring_generation = feed->keyring_generation;
    st.keyring_ids = joined_ids(store_.keyring());
    st.error.clear();
    first_ = false;
    return;
  }
  std::string error;
  if (feed->keyring_generation != st.applied_keyring_generation) {
    auto& live = store_.live_keyring();
    if (!live.file()) {
      error = "the keyring changed in the store but this host's keyring comes from " +
              std::string(store::crypto::kMasterKeyEnv) +
              " and cannot be re-read; restart it with the new keyring";
    } else {
      auto candidate = store::crypto::Keyring::load_file(*live.file());
      if (!candidate) {
        error = "cannot re-read the keyring file: " + candidate.error().message;
      } else if (auto proof =
                     store::prove_keyring(store_.context(), *candidate, live.file()->string());
                 !proof) {
        error = "the keyring file does not match the data; keeping the keyring in use: " +
                proof.error().message;
      } else if (auto swapped = live.reload(); !swapped) {
        error = "cannot re-read the keyring file: " + swapped.error().message;
      } else {
        st.applied_keyring_generation = feed->keyring_generation;
      }
    }
    st.keyring_ids = joined_ids(store_.keyring());
  }
  if (feed->seq != st.applied_seq || !st.error.empty()) {
    store_.note_external_change();
    if (apply_) {
      if (std::string why = apply_(); !why.empty() && error.empty()) error = why;
    }
    if (error.empty()) st.applied_seq = feed->seq;
  }
  st.error = error;
}

Status Reconciler::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

}  // namespace vitrine::reconcile
