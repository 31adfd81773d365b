#include "store/audit_aggregate.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace vitrine::store {
namespace {

std::string key_of(const LicenseDecision& d) {
  std::string k;
  k.reserve(d.space.size() + d.plugin.size() + d.feature.size() + d.reason.size() + 8);
  // NUL separators: no field can contain one, so keys never collide.
  k.append(d.space).push_back('\0');
  k.append(d.plugin).push_back('\0');
  k.append(d.feature).push_back('\0');
  k.push_back(d.licensed ? 'a' : 'd');
  k.push_back('\0');
  k.append(d.reason);
  return k;
}

}  // namespace

LicenseAuditAggregator::LicenseAuditAggregator(AuditLog& log, std::chrono::milliseconds window,
                                               Clock now)
    : log_(log), now_(std::move(now)), window_(window) {}

LicenseAuditAggregator::~LicenseAuditAggregator() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  (void)flush();
}

void LicenseAuditAggregator::note(const LicenseDecision& d) {
  const int64_t now = now_();
  std::string key = key_of(d);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = windows_.find(key);
  if (it == windows_.end()) {
    it = windows_.emplace(std::move(key), Window{d, now, now, 0}).first;
  }
  it->second.last_ms = now;
  ++it->second.count;
  // The writer starts with the first decision: processes that never check
  // a license (the CLI) never run it.
  if (!started_ && !stopping_) {
    started_ = true;
    thread_ = std::thread([this] { run(); });
  }
}

void LicenseAuditAggregator::set_window(std::chrono::milliseconds window) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    window_ = window;
  }
  cv_.notify_all();
}

std::size_t LicenseAuditAggregator::open_windows() const {
  std::lock_guard<std::mutex> lock(mu_);
  return windows_.size();
}

Status LicenseAuditAggregator::flush() { return write(true); }

Status LicenseAuditAggregator::write(bool all) {
  std::lock_guard<std::mutex> writing(write_mu_);
  std::vector<Window> due;
  int64_t window_ms = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    window_ms = window_.count();
    const int64_t now = now_();
    for (auto it = windows_.begin(); it != windows_.end();) {
      if (all || now - it->second.first_ms >= window_ms) {
        due.push_back(std::move(it->second));
        it = windows_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (due.empty()) return ok_status();
  // One transaction (one sync) for every row of this round.
  Status st = log_.db().transaction([&]() -> Status {
    for (const auto& w : due) {
      AuditEvent e{"license",
                   w.decision.space,
                   "license.check",
                   w.decision.feature,
                   w.decision.licensed ? "allow" : "deny",
                   {{"reason", w.decision.reason, false},
                    {"plugin", w.decision.plugin, false},
                    {"count", std::to_string(w.count), true},
                    {"first_at", std::to_string(w.first_ms), true},
                    {"last_at", std::to_string(w.last_ms), true},
                    {"window_ms", std::to_string(window_ms), true}}};
      auto id = log_.record(e);
      if (!id) return id.error();
    }
    return ok_status();
  });
  if (!st) {
    // Nothing of the round was written: put the counts back (merged with
    // what arrived meanwhile) and retry next round. AuditLog::record has
    // already reported the failure; a commit failure is reported here.
    if (log_.health().unready_reason().empty()) log_.health().failed(st.error());
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& w : due) {
      auto [it, inserted] = windows_.emplace(key_of(w.decision), w);
      if (!inserted) {
        it->second.first_ms = std::min(it->second.first_ms, w.first_ms);
        it->second.last_ms = std::max(it->second.last_ms, w.last_ms);
        it->second.count += w.count;
      }
    }
  }
  return st;
}

void LicenseAuditAggregator::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    // Wake a few times per window, so a window closes at most a quarter of
    // a window late.
    const auto tick = std::max(std::chrono::milliseconds(10), window_ / 4);
    cv_.wait_for(lock, tick, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    (void)write(false);
    lock.lock();
  }
}

}  // namespace vitrine::store
