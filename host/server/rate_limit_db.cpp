#include "server/rate_limit_db.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "digest/sha256.h"
#include "log/log.h"
#include "store/crypto/encoding.h"

namespace vitrine::server {
namespace {

constexpr const char* kClientKind = "client";
constexpr const char* kAccountKind = "account";
// How often a host deletes stale rows: often enough to keep the table
// small, rarely enough that the DELETE costs nothing per request.
constexpr int64_t kPurgeEveryMs = 60'000;
// A refused sign-in because of the store asks to retry as soon as the
// store-unavailable answers of the other routes do (auth.h).
constexpr std::chrono::seconds kStoreRetryAfter{5};

using Row = std::optional<store::RateLimitRow>;

// A row, no row (nullopt) or the store's error.
store::Result<Row> read(store::Backend& db, const std::string& kind, const std::string& key) {
  auto r = db.get_rate_limit(kind, key);
  if (r) return Row(std::move(*r));
  if (r.error().code == store::Errc::not_found) return Row();
  return r.error();
}

const store::RateLimitRow* ptr(const Row& row) { return row ? &*row : nullptr; }

std::chrono::seconds ceil_ms(int64_t ms) {
  return std::max(std::chrono::seconds(1),
                  std::chrono::ceil<std::chrono::seconds>(std::chrono::milliseconds(ms)));
}

RateDecision unavailable(const store::Error& e) {
  log::warn("rate_limit.store_unavailable", {{"error", e.message}});
  RateDecision d{false, kStoreRetryAfter, rules::kStoreUnavailable};
  d.cause = e.message;
  return d;
}

}  // namespace

int64_t DbBucket::idle_ms() const {
  // From empty to full, plus a second for rounding.
  return static_cast<int64_t>(std::ceil(burst / per_minute * 60'000.0)) + 1'000;
}

double DbBucket::tokens(const store::RateLimitRow* row, int64_t now_ms) const {
  if (row == nullptr) return burst;
  // Another host's clock may be ahead of this one: no refill, never less.
  const int64_t elapsed = std::max<int64_t>(0, now_ms - row->refilled_at_ms);
  return std::min(burst, row->tokens + per_minute * static_cast<double>(elapsed) / 60'000.0);
}

std::chrono::seconds DbBucket::wait(double tokens) const {
  // Less a nanosecond: 4.000000000000001 s of float arithmetic is 4 s.
  const double s = (1.0 - tokens) * 60.0 / per_minute - 1e-9;
  return std::max(std::chrono::seconds(1),
                  std::chrono::seconds(static_cast<int64_t>(std::ceil(std::max(s, 0.0)))));
}

DbRateLimiter::DbRateLimiter(store::Backend& db, store::Clock now_ms, RateLimits limits)
    : db_(db), now_(std::move(now_ms)), limits_(limits) {
  if (!now_) now_ = store::system_now_ms;
  limits_.per_minute = std::max(limits_.per_minute, 0.001);
  limits_.burst = std::max(limits_.burst, 1.0);
  client_ = DbBucket{kClientKind, limits_.per_minute, limits_.burst};
}

std::string DbRateLimiter::account_key(const std::string& account) {
  return digest::sha256_hex(account);
}

RateDecision DbRateLimiter::attempt(const std::string& client, const std::string& account) {
  {
    std::lock_guard lock(clean_mu_);
    clean_until_.erase(client);
  }
  const int64_t now = now_();
  // The account's backoff first: a refused attempt costs the client nothing.
  if (!account.empty()) {
    auto a = read(db_, kAccountKind, account_key(account));
    if (!a) return unavailable(a.error());
    if (*a && now < (*a)->not_before_ms) {
      return RateDecision{false, ceil_ms((*a)->not_before_ms - now), rules::kAccount};
    }
  }
  RateDecision out;
  auto st =
      db_.transaction_on({store::rate_limit_lock(kClientKind, client)}, [&]() -> store::Status {
        auto row = read(db_, kClientKind, client);
        if (!row) return row.error();
        const double tokens = client_.tokens(ptr(*row), now);
        if (tokens < 1.0) {
          out = RateDecision{false, client_.wait(tokens), rules::kClient};
          return store::ok_status();
        }
        if (auto p = db_.put_rate_limit({kClientKind, client, tokens - 1.0, now, 0, 0, now}); !p) {
          return p;
        }
        return purge_due(now);
      });
  if (!st) return unavailable(st.error());
  return out;
}

RateDecision DbRateLimiter::check(const std::string& client) {
  // One primary-key SELECT, no write: this runs on every bearer request.
  const int64_t now = now_();
  {
    std::lock_guard lock(clean_mu_);
    auto it = clean_until_.find(client);
    if (it != clean_until_.end() && now < it->second) return {};
  }
  auto row = read(db_, kClientKind, client);
  if (!row) return {};  // the token check that follows answers 503 itself
  const double tokens = client_.tokens(ptr(*row), now);
  if (tokens < 1.0) return RateDecision{false, client_.wait(tokens), rules::kClient};
  if (tokens >= client_.burst) {
    std::lock_guard lock(clean_mu_);
    if (clean_until_.size() >= kMaxClean) clean_until_.clear();  // forgetting only costs a SELECT
    clean_until_[client] = now + kCleanMemoryMs;
  }
  return {};
}

void DbRateLimiter::failed(const std::string& client, const std::string& account,
                           bool charge_client) {
  if (!charge_client && account.empty()) return;
  if (charge_client) {
    std::lock_guard lock(clean_mu_);
    clean_until_.erase(client);
  }
  const int64_t now = now_();
  std::vector<std::string> buckets;
  if (charge_client) buckets.push_back(store::rate_limit_lock(kClientKind, client));
  if (!account.empty())
    buckets.push_back(store::rate_limit_lock(kAccountKind, account_key(account)));
  auto st = db_.transaction_on(buckets, [&]() -> store::Status {
    if (charge_client) {
      auto row = read(db_, kClientKind, client);
      if (!row) return row.error();
      const double tokens = std::max(0.0, client_.tokens(ptr(*row), now) - 1.0);
      if (auto p = db_.put_rate_limit({kClientKind, client, tokens, now, 0, 0, now}); !p) return p;
    }
    if (!account.empty()) {
      const std::string key = account_key(account);
      auto row = read(db_, kAccountKind, key);
      if (!row) return row.error();
      const int64_t failures = std::min<int64_t>((*row ? (*row)->failures : 0) + 1, 1'000);
      int64_t not_before = *row ? (*row)->not_before_ms : 0;
      const int64_t over = failures - limits_.free_failures;
      if (over > 0) {
        // 1 s, 2 s, 4 s ... capped at max_backoff.
        const auto backoff = std::min<std::chrono::seconds>(
            std::chrono::seconds(int64_t{1} << std::min<int64_t>(over - 1, 20)),
            limits_.max_backoff);
        not_before = now + std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count();
      }
      if (auto p = db_.put_rate_limit({kAccountKind, key, 0, 0, failures, not_before, now}); !p) {
        return p;
      }
    }
    return purge_due(now);
  });
  // The request already has its answer; a lost count errs towards allowing.
  if (!st) log::warn("rate_limit.store_unavailable", {{"error", st.error().message}});
}

void DbRateLimiter::succeeded(const std::string& account) {
  if (account.empty()) return;
  if (auto st = db_.delete_rate_limit(kAccountKind, account_key(account)); !st) {
    log::warn("rate_limit.store_unavailable", {{"error", st.error().message}});
  }
}

store::Status DbRateLimiter::purge() {
  const int64_t now = now_();
  // Deletes only: no bucket's lock is needed (a bucket written meanwhile
  // is kept or written again by its own transaction).
  return db_.transaction_on({}, [&]() -> store::Status {
    next_purge_ms_.store(now + kPurgeEveryMs, std::memory_order_relaxed);
    if (auto n = db_.purge_rate_limits(kClientKind, now - client_.idle_ms()); !n) return n.error();
    const auto keep = std::max<std::chrono::milliseconds>(kAccountMemory, limits_.max_backoff);
    if (auto n = db_.purge_rate_limits(kAccountKind, now - keep.count()); !n) return n.error();
    return store::ok_status();
  });
}

store::Status DbRateLimiter::purge_due(int64_t now) {
  if (now < next_purge_ms_.load(std::memory_order_relaxed)) return store::ok_status();
  return purge();  // joins the caller's transaction
}

}  // namespace vitrine::server
