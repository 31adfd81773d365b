// Rate limits kept in the database (table rate_limits), so every host that
// shares the store enforces one limit: an attacker whose requests a load
// balancer spreads over N hosts gets the limits of one host, not N times
// them. The rules are those of MemoryRateLimiter (rate_limit.h); the
// share-link limiter (share_links_limiter_db.h) keeps its buckets here too.
//
// Rows (kind, key):
//   'client'   the client address as the listener saw it (an IP address);
//              a token bucket: tokens, refilled_at.
//   'account'  SHA-256 hex of the account name, never the name itself: a
//              name typed at sign-in may be a mistyped password. A failure
//              count and the time the backoff ends (not_before).
// A missing row is a full bucket / an account without failures.
//
// Atomicity: a read-modify-write (take a token, count a failure) runs in
// one Backend::transaction: PostgreSQL takes its database-wide write lock,
// SQLite serialises writers (BEGIN IMMEDIATE), so two hosts never both
// spend the last token. check() is one primary-key SELECT and writes
// nothing: it runs on every bearer request. A client whose bucket was full
// (or absent) is remembered as clean for kCleanMemory, so a busy reader's
// page views cost no SELECT at all (on PostgreSQL a network round trip);
// failures are still counted in the table at once, and a bucket another
// host emptied is seen here within kCleanMemory (a failure here forgets
// the client's clean state at once).
//
// Bounded: about once a minute a write also deletes the rows that carry no
// state any more: client buckets idle long enough to be full again, and
// accounts without a failure for kAccountMemory (or max_backoff, if longer).
//
// When the store cannot answer (Errc::io) the limiter fails in the
// direction that keeps the service safe without locking anyone out:
//   check()      allows: the bearer token check that follows needs the same
//                store and answers 503 [store-unavailable] itself.
//   attempt()    refuses with rule "store-unavailable" (the caller answers
//                503 with Retry-After): allowing would open unlimited
//                password and token guessing for as long as the store is
//                down, and a sign-in cannot finish without the store anyway.
//   failed(), succeeded()  do nothing: the request already has its answer;
//                a lost count errs towards allowing, as a full bucket does.
// Time is the store's wall clock in milliseconds (tests step it by hand);
// a host whose clock is behind the row's sees no refill, never negative.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/rate_limit.h"
#include "store/backend.h"
#include "store/context.h"

namespace vitrine::server {

// A token bucket's shape and row kind (one per limit). A value; its const
// methods are pure functions of their arguments.
struct DbBucket {
  const char* kind;
  double per_minute;
  double burst;
  // How long an untouched row may still hold state: until it is full again.
  int64_t idle_ms() const;
  // The tokens of `row` refilled up to `now_ms`; no row: a full bucket.
  double tokens(const store::RateLimitRow* row, int64_t now_ms) const;
  // Seconds until one token is back (>= 1), given `tokens` < 1.
  std::chrono::seconds wait(double tokens) const;
};

// [thread-safe]: every method; the limiter holds no state of its own but
// the purge schedule (an atomic) and the clean-client memory (a mutex).
class DbRateLimiter final : public RateLimiter {
 public:
  // Failures of an account are forgotten after this long without one.
  static constexpr std::chrono::minutes kAccountMemory{15};
  // How long check() trusts a full bucket it read; at most kMaxClean kept.
  static constexpr int64_t kCleanMemoryMs = 1000;
  static constexpr std::size_t kMaxClean = 10'000;
  // `db` must outlive the limiter; `now_ms` is the store's clock.
  DbRateLimiter(store::Backend& db, store::Clock now_ms, RateLimits limits = {});

  RateDecision attempt(const std::string& client, const std::string& account) override;
  RateDecision check(const std::string& client) override;
  void failed(const std::string& client, const std::string& account, bool charge_client) override;
  void succeeded(const std::string& account) override;

  // Deletes the rows that carry no state at `now` (also done by writes,
  // about once a minute). [thread-safe]
  store::Status purge();

  // The key an account name is stored under: SHA-256 hex.
  static std::string account_key(const std::string& account);

 private:
  // Inside a write transaction: deletes stale rows when a minute has passed
  // since the last time.
  store::Status purge_due(int64_t now);

  store::Backend& db_;
  store::Clock now_;
  RateLimits limits_;
  DbBucket client_;
  std::atomic<int64_t> next_purge_ms_{0};
  std::mutex clean_mu_;
  std::unordered_map<std::string, int64_t> clean_until_;  // client -> ms
};

}  // namespace vitrine::server
