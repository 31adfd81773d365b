#include "server/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace vitrine::server {
namespace {

std::chrono::seconds ceil_seconds(std::chrono::steady_clock::duration d) {
  auto s = std::chrono::ceil<std::chrono::seconds>(d);
  return std::max(s, std::chrono::seconds(1));
}

}  // namespace

MemoryRateLimiter::MemoryRateLimiter(RateLimits limits, Clock clock)
    : limits_(limits), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
  limits_.per_minute = std::max(limits_.per_minute, 0.001);
  limits_.burst = std::max(limits_.burst, 1.0);
  limits_.max_keys = std::max<std::size_t>(limits_.max_keys, 1);
}

// Makes room for one new entry.
template <class Map>
void MemoryRateLimiter::bound_locked(Map& map) {
  while (map.size() >= limits_.max_keys && !map.empty()) {
    auto oldest = map.begin();
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->second.touched < oldest->second.touched) oldest = it;
    }
    map.erase(oldest);
  }
}

MemoryRateLimiter::Bucket& MemoryRateLimiter::bucket_locked(const std::string& client, Time now) {
  auto it = clients_.find(client);
  if (it == clients_.end()) {
    bound_locked(clients_);
    it = clients_.emplace(client, Bucket{limits_.burst, now, now}).first;
  }
  Bucket& b = it->second;
  const double minutes = std::chrono::duration<double>(now - b.refilled).count() / 60.0;
  b.tokens = std::min(limits_.burst, b.tokens + minutes * limits_.per_minute);
  b.refilled = now;
  b.touched = now;
  return b;
}

RateDecision MemoryRateLimiter::client_locked(const std::string& client, Time now, bool take) {
  Bucket& b = bucket_locked(client, now);
  if (b.tokens < 1.0) {
    const double wait_s = (1.0 - b.tokens) * 60.0 / limits_.per_minute;
    return RateDecision{
        false,
        ceil_seconds(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(wait_s))),
        rules::kClient};
  }
  if (take) b.tokens -= 1.0;
  return {};
}

RateDecision MemoryRateLimiter::account_locked(const std::string& account, Time now) const {
  if (account.empty()) return {};
  auto it = accounts_.find(account);
  if (it == accounts_.end() || now >= it->second.not_before) return {};
  return RateDecision{false, ceil_seconds(it->second.not_before - now), rules::kAccount};
}

RateDecision MemoryRateLimiter::attempt(const std::string& client, const std::string& account) {
  std::lock_guard lock(mu_);
  const Time now = clock_();
  // The account's backoff first: a refused attempt costs the client nothing.
  if (auto a = account_locked(account, now); !a.allowed) return a;
  return client_locked(client, now, true);
}

RateDecision MemoryRateLimiter::check(const std::string& client) {
  std::lock_guard lock(mu_);
  return client_locked(client, clock_(), false);
}

void MemoryRateLimiter::failed(const std::string& client, const std::string& account,
                               bool charge_client) {
  std::lock_guard lock(mu_);
  const Time now = clock_();
  if (charge_client) {
    Bucket& b = bucket_locked(client, now);
    b.tokens = std::max(0.0, b.tokens - 1.0);
  }
  if (account.empty()) return;
  auto it = accounts_.find(account);
  if (it == accounts_.end()) {
    bound_locked(accounts_);
    it = accounts_.emplace(account, Account{}).first;
  }
  Account& a = it->second;
  a.failures = std::min(a.failures + 1, 1'000);
  a.touched = now;
  const int over = a.failures - limits_.free_failures;
  if (over > 0) {
    // 1 s, 2 s, 4 s ... capped at max_backoff.
    const auto backoff = std::min<std::chrono::seconds>(
        std::chrono::seconds(int64_t{1} << std::min(over - 1, 20)), limits_.max_backoff);
    a.not_before = now + backoff;
  }
}

void MemoryRateLimiter::succeeded(const std::string& account) {
  std::lock_guard lock(mu_);
  accounts_.erase(account);
}

std::size_t MemoryRateLimiter::size() const {
  std::lock_guard lock(mu_);
  return clients_.size() + accounts_.size();
}

}  // namespace vitrine::server
