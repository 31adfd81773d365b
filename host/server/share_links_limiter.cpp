#include "server/share_links_limiter.h"

#include <algorithm>
#include <cmath>

namespace vitrine::server {

MemoryShareLinkLimiter::MemoryShareLinkLimiter(ShareLinkLimits limits,
                                               std::function<int64_t()> now_ms)
    : limits_(limits), now_(std::move(now_ms)) {}

double MemoryShareLinkLimiter::refill(Bucket& b, double per_minute, double burst, int64_t now) {
  if (b.at_ms == 0) {
    b.tokens = burst;
  } else if (now > b.at_ms) {
    b.tokens =
        std::min(burst, b.tokens + per_minute * static_cast<double>(now - b.at_ms) / 60000.0);
  }
  b.at_ms = now;
  return b.tokens;
}

void MemoryShareLinkLimiter::prune(Buckets& buckets, double per_minute, double burst, int64_t now) {
  if (buckets.size() < kMaxBuckets) return;
  for (auto it = buckets.begin(); it != buckets.end();) {
    if (refill(it->second, per_minute, burst, now) >= burst) {
      it = buckets.erase(it);
    } else {
      ++it;
    }
  }
  // Still full: everyone is busy; start over rather than grow without bound.
  if (buckets.size() >= kMaxBuckets) buckets.clear();
}

int MemoryShareLinkLimiter::take(const std::string& link_id, const std::string& client) {
  const int64_t now = now_();
  std::lock_guard lock(mu_);
  if (links_.find(link_id) == links_.end()) {
    prune(links_, limits_.per_link_per_minute, limits_.per_link_burst, now);
  }
  if (clients_.find(client) == clients_.end()) {
    prune(clients_, limits_.per_client_per_minute, limits_.per_client_burst, now);
  }
  Bucket& l = links_[link_id];
  Bucket& c = clients_[client];
  const double lt = refill(l, limits_.per_link_per_minute, limits_.per_link_burst, now);
  const double ct = refill(c, limits_.per_client_per_minute, limits_.per_client_burst, now);
  if (lt >= 1 && ct >= 1) {
    l.tokens -= 1;
    c.tokens -= 1;
    return 0;
  }
  auto wait = [](double tokens, double per_minute) {
    if (tokens >= 1) return 0.0;
    return (1 - tokens) * 60.0 / per_minute;
  };
  const double s =
      std::max(wait(lt, limits_.per_link_per_minute), wait(ct, limits_.per_client_per_minute));
  return std::max(1, static_cast<int>(std::ceil(s)));
}

}  // namespace vitrine::server
