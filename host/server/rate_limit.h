// Rate limits for sign-in attempts and bearer-token failures
// (docs/admin.md, "Sign-in limits").
//
//   per client address   a token bucket: `burst` attempts, refilled at
//                        `per_minute`; every attempt (sign-in) or failure
//                        (bad token) takes one. Empty: 429 until refill.
//   per account          only failures count; after `free_failures` in a row
//                        each further attempt must wait a backoff that
//                        doubles from 1 s up to `max_backoff` (capped, short).
//                        A success clears it. An attacker can slow a real
//                        user's sign-in by at most max_backoff, never lock
//                        them out.
//
// Memory is bounded: at most max_keys entries per kind; the least recently
// touched entry is dropped beyond it (a dropped entry only forgets history,
// which errs towards allowing). Time comes from a clock the caller may
// replace (tests step it by hand; no sleeps).
//
// The state sits behind the RateLimiter interface: the server keeps it in
// the database (rate_limit_db.h) so every host shares one limit; this
// in-process limiter serves tests and tools without a store.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace vitrine::server {

struct RateLimits {
  double per_minute = 10;  // client address: refill rate of attempts
  double burst = 20;       // client address: bucket size
  int free_failures = 5;   // account: failures before backoff starts
  std::chrono::seconds max_backoff{30};
  std::size_t max_keys = 10'000;
};

namespace rules {
inline constexpr const char* kClient = "rate-client";    // the client address's bucket is empty
inline constexpr const char* kAccount = "rate-account";  // the account is in its failure backoff
// A limiter that keeps its state in the store could not ask it
// (rate_limit_db.h): the caller answers 503 with Retry-After.
inline constexpr const char* kStoreUnavailable = "store-unavailable";
}  // namespace rules

struct RateDecision {
  bool allowed = true;
  std::chrono::seconds retry_after{0};  // when refused: the Retry-After value
  std::string rule;        // which limit refused: rate-client | rate-account | store-unavailable
  std::string cause = {};  // store-unavailable: what the store answered (no secret)
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // [thread-safe] Takes one attempt from the client's bucket and checks the
  // account's backoff (an empty account is not checked).
  virtual RateDecision attempt(const std::string& client, const std::string& account) = 0;
  // [thread-safe] Checks without taking (bearer requests: only failures cost).
  virtual RateDecision check(const std::string& client) = 0;
  // [thread-safe] A failed attempt: costs the client (when `charge_client`)
  // and counts towards the account's backoff.
  virtual void failed(const std::string& client, const std::string& account,
                      bool charge_client) = 0;
  // [thread-safe] A successful sign-in clears the account's failures.
  virtual void succeeded(const std::string& account) = 0;
};

// The in-process limiter.
class MemoryRateLimiter final : public RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit MemoryRateLimiter(RateLimits limits = {}, Clock clock = nullptr);

  RateDecision attempt(const std::string& client, const std::string& account) override;
  RateDecision check(const std::string& client) override;
  void failed(const std::string& client, const std::string& account, bool charge_client) override;
  void succeeded(const std::string& account) override;

  std::size_t size() const;  // entries held (both kinds)

 private:
  using Time = std::chrono::steady_clock::time_point;
  struct Bucket {
    double tokens = 0;
    Time refilled;
    Time touched;
  };
  struct Account {
    int failures = 0;
    Time not_before;
    Time touched;
  };
  Bucket& bucket_locked(const std::string& client, Time now);
  RateDecision client_locked(const std::string& client, Time now, bool take);
  RateDecision account_locked(const std::string& account, Time now) const;
  template <class Map>
  void bound_locked(Map& map);

  RateLimits limits_;
  Clock clock_;
  mutable std::mutex mu_;
  std::map<std::string, Bucket> clients_;
  std::map<std::string, Account> accounts_;
};

}  // namespace vitrine::server
