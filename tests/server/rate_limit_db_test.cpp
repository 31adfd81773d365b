// Sign-in, bearer-failure and share-link rate limits (server/rate_limit.h,
// server/rate_limit_db.h, server/share_links_limiter_db.h). The rule tests
// run on the in-process limiter and on the database one over SQLite and
// PostgreSQL; the shared tests open two stores on one database, as two
// hosts behind a load balancer do, and show that they enforce one limit.
#include "server/rate_limit_db.h"

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "digest/sha256.h"
#include "server/auth.h"
#include "server/share_links_limiter_db.h"
#include "store/backend_test_support.h"
#include "store/crypto/encoding.h"

namespace vitrine::server {
namespace {

using namespace std::chrono_literals;
using store::testing::BackendTest;

// Runs each test on "memory", "sqlite" and "postgres".
class RateLimitRules : public BackendTest {
 protected:
  std::unique_ptr<RateLimiter> limiter(RateLimits l) {
    if (GetParam() == "memory") {
      return std::make_unique<MemoryRateLimiter>(l, [this] {
        return std::chrono::steady_clock::time_point(std::chrono::milliseconds(now_ms_));
      });
    }
    return std::make_unique<DbRateLimiter>(
        store_->backend(), [this] { return now_ms_; }, l);
  }
  std::unique_ptr<ShareLinkLimiter> share_limiter(ShareLinkLimits l) {
    if (GetParam() == "memory") {
      return std::make_unique<MemoryShareLinkLimiter>(l, [this] { return now_ms_; });
    }
    return std::make_unique<DbShareLinkLimiter>(
        store_->backend(), [this] { return now_ms_; }, l);
  }
};

INSTANTIATE_TEST_SUITE_P(Limiters, RateLimitRules,
                         ::testing::Values(std::string("memory"), std::string("sqlite"),
                                           std::string("postgres")),
                         store::testing::backend_name);

TEST_P(RateLimitRules, RateClient_TheBucketEmptiesAndRefills) {
  RateLimits l;
  l.per_minute = 6;  // one every 10 s
  l.burst = 3;
  auto lim = limiter(l);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(lim->attempt("10.0.0.1", "").allowed);
  auto d = lim->attempt("10.0.0.1", "");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "rate-client");
  EXPECT_EQ(d.retry_after, 10s);
  EXPECT_FALSE(lim->check("10.0.0.1").allowed);
  EXPECT_TRUE(lim->attempt("10.0.0.2", "").allowed);  // per address
  now_ms_ += 10'000;
  EXPECT_TRUE(lim->check("10.0.0.1").allowed);
  EXPECT_TRUE(lim->attempt("10.0.0.1", "").allowed);
}

TEST_P(RateLimitRules, RateClient_OnlyFailuresCostABearerClient) {
  RateLimits l;
  l.per_minute = 6;
  l.burst = 2;
  auto lim = limiter(l);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(lim->check("10.0.0.1").allowed);  // checks are free
  lim->failed("10.0.0.1", "", true);
  lim->failed("10.0.0.1", "", true);
  auto d = lim->check("10.0.0.1");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "rate-client");
  EXPECT_EQ(d.retry_after, 10s);
}

TEST_P(RateLimitRules, RateAccount_BackoffIsShortCappedAndClearedBySuccess) {
  RateLimits l;
  l.free_failures = 2;
  l.max_backoff = 8s;
  l.burst = 1000;
  auto lim = limiter(l);
  const std::string user = "user:idp/ada";
  lim->failed("10.0.0.1", user, true);
  lim->failed("10.0.0.1", user, true);
  EXPECT_TRUE(lim->attempt("10.0.0.9", user).allowed);  // free failures
  for (int i = 0; i < 20; ++i) lim->failed("10.0.0.1", user, true);
  auto d = lim->attempt("10.0.0.9", user);  // from any address
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "rate-account");
  EXPECT_LE(d.retry_after, 8s);  // never a long lock-out
  now_ms_ += 8'000;
  EXPECT_TRUE(lim->attempt("10.0.0.9", user).allowed);
  lim->succeeded(user);
  lim->failed("10.0.0.1", user, true);
  EXPECT_TRUE(lim->attempt("10.0.0.9", user).allowed);
}

TEST_P(RateLimitRules, ShareLinkRateLimit_PerLinkBurstThenRetryAfter) {
  auto limiter = share_limiter(ShareLinkLimits{60, 3, 1000, 1000});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter->take("link", "client-" + std::to_string(i)), 0);
  EXPECT_EQ(limiter->take("link", "client-9"), 1);   // 60 a minute: one back within a second
  EXPECT_EQ(limiter->take("other", "client-9"), 0);  // another link is not affected
  now_ms_ += 1000;
  EXPECT_EQ(limiter->take("link", "client-9"), 0);
}

TEST_P(RateLimitRules, ShareLinkRateLimit_PerClientAcrossLinks) {
  auto limiter = share_limiter(ShareLinkLimits{1000, 1000, 6, 2});
  EXPECT_EQ(limiter->take("a", "10.0.0.1"), 0);
  EXPECT_EQ(limiter->take("b", "10.0.0.1"), 0);
  EXPECT_EQ(limiter->take("c", "10.0.0.1"), 10);  // 6 a minute: 10 s per token
  EXPECT_EQ(limiter->take("c", "10.0.0.2"), 0);
  now_ms_ += 10'000;
  EXPECT_EQ(limiter->take("c", "10.0.0.1"), 0);
}

// Two hosts: two stores on one database (SQLite file or PostgreSQL).
class SharedRateLimits : public BackendTest {
 protected:
  DbRateLimiter on(store::Store& s, RateLimits l) {
    return DbRateLimiter(
        s.backend(), [this] { return now_ms_; }, l);
  }
  std::vector<store::RateLimitRow> rows() {
    auto r = store_->backend().list_rate_limits();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::vector<store::RateLimitRow>{};
  }
};

VITRINE_ON_EVERY_BACKEND(SharedRateLimits);

TEST_P(SharedRateLimits, RateClient_TwoHostsSpendOneBucket) {
  auto other = open_another();
  ASSERT_TRUE(other);
  RateLimits l;
  l.per_minute = 6;
  l.burst = 3;
  auto a = on(*store_, l);
  auto b = on(*other, l);
  EXPECT_TRUE(a.attempt("198.51.100.7", "").allowed);
  EXPECT_TRUE(b.attempt("198.51.100.7", "").allowed);
  a.failed("198.51.100.7", "", true);  // a bad bearer token on host A
  auto d = b.attempt("198.51.100.7", "");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "rate-client");
  EXPECT_EQ(d.retry_after, 10s);
  EXPECT_FALSE(b.check("198.51.100.7").allowed);
  EXPECT_TRUE(b.check("198.51.100.8").allowed);  // another address is served
  now_ms_ += 10'000;
  EXPECT_TRUE(a.check("198.51.100.7").allowed);
}

// A clean client's check() is remembered for kCleanMemoryMs: a reader's
// bearer page views cost no SELECT, and a bucket another host emptied is
// refused here once that memory ends.
TEST_P(SharedRateLimits, RateClient_ACleanClientIsRememberedBrieflyThenTheSharedBucketRules) {
  auto other = open_another();
  ASSERT_TRUE(other);
  RateLimits l;
  l.per_minute = 6;
  l.burst = 3;
  auto a = on(*store_, l);
  auto b = on(*other, l);
  EXPECT_TRUE(b.check("198.51.100.7").allowed);  // read: full, remembered
  for (int i = 0; i < 3; ++i) a.failed("198.51.100.7", "", true);
  EXPECT_TRUE(b.check("198.51.100.7").allowed) << "within the memory, host B answers from it";
  now_ms_ += DbRateLimiter::kCleanMemoryMs;
  auto d = b.check("198.51.100.7");
  EXPECT_FALSE(d.allowed) << "after it, the shared bucket rules";
  EXPECT_EQ(d.rule, "rate-client");
  // A failure on the host that remembered forgets at once.
  now_ms_ += 60'000;  // refilled
  EXPECT_TRUE(b.check("198.51.100.8").allowed);
  for (int i = 0; i < 3; ++i) b.failed("198.51.100.8", "", true);
  EXPECT_FALSE(b.check("198.51.100.8").allowed);
}

TEST_P(SharedRateLimits, RateAccount_BackoffIsSharedAndSuccessOnAnotherHostClearsIt) {
  auto other = open_another();
  ASSERT_TRUE(other);
  RateLimits l;
  l.free_failures = 2;
  l.max_backoff = 8s;
  auto a = on(*store_, l);
  auto b = on(*other, l);
  const std::string user = "user:idp/ada";
  for (int i = 0; i < 3; ++i) a.failed("10.0.0.1", user, true);
  auto d = b.attempt("10.0.0.2", user);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "rate-account");
  EXPECT_EQ(d.retry_after, 1s);  // the first step of the backoff
  now_ms_ += 1'000;
  b.succeeded(user);  // the real user signs in on host B
  a.failed("10.0.0.1", user, true);
  EXPECT_TRUE(a.attempt("10.0.0.3", user).allowed);  // the count started over
}

TEST_P(SharedRateLimits, RateClient_ConcurrentTakesOnTwoHostsNeverExceedTheBurst) {
  auto other = open_another();
  ASSERT_TRUE(other);
  RateLimits l;
  l.burst = 20;
  l.per_minute = 0.001;  // no refill during the test
  auto a = on(*store_, l);
  auto b = on(*other, l);
  std::atomic<int> allowed{0};
  std::atomic<int> unavailable{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      DbRateLimiter& lim = t % 2 == 0 ? a : b;
      for (int i = 0; i < 8; ++i) {
        auto d = lim.attempt("198.51.100.7", "");
        if (d.allowed) ++allowed;
        if (d.rule == rules::kStoreUnavailable) ++unavailable;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unavailable.load(), 0);
  EXPECT_EQ(allowed.load(), 20);
}

// On PostgreSQL a bucket's read-modify-write locks that bucket only
// (Backend::transaction_on), not the cluster's write lock that admin
// writes and audit rows take: a flood of bad tokens or sign-ins does not
// queue behind, or hold up, every writer of the cluster.
TEST_P(SharedRateLimits, RateClient_ABucketDoesNotWaitForTheClusterWriteLock) {
  if (!on_postgres()) GTEST_SKIP() << "SQLite has one writer at a time by design";
  PGconn* c = PQconnectdb(url_.c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  auto sql = [c](const char* text) {
    PGresult* r = PQexec(c, text);
    const bool good = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return good;
  };
  ASSERT_TRUE(sql("BEGIN"));
  // What every Backend::transaction() takes (postgres_backend.cpp kWriteLockKey).
  ASSERT_TRUE(sql("SELECT pg_advisory_xact_lock(8487463)"));
  RateLimits l;
  l.burst = 3;
  auto a = on(*store_, l);
  const auto d = a.attempt("198.51.100.7", "user:idp/ada");
  EXPECT_TRUE(d.allowed) << d.rule;
  a.failed("198.51.100.7", "user:idp/ada", true);
  // Both buckets were written while another connection held the write lock.
  std::size_t client_rows = 0, account_rows = 0;
  for (const auto& r : rows()) {
    client_rows += r.kind == "client" ? 1 : 0;
    account_rows += r.kind == "account" ? 1 : 0;
  }
  EXPECT_EQ(client_rows, 1u);
  EXPECT_EQ(account_rows, 1u);
  EXPECT_TRUE(sql("ROLLBACK"));
  PQfinish(c);
}

TEST_P(SharedRateLimits, RateLimitTable_StaysBounded) {
  auto a = on(*store_, RateLimits{});
  for (int i = 0; i < 50; ++i)
    a.failed("10.0.0." + std::to_string(i), "acct-" + std::to_string(i), true);
  EXPECT_EQ(rows().size(), 100u);
  // Clients refill within burst / per_minute (2 min by default): their rows
  // go first; accounts are remembered for kAccountMemory.
  now_ms_ += 3 * 60'000;
  a.failed("10.0.1.1", "", true);
  EXPECT_EQ(rows().size(), 51u);
  now_ms_ += std::chrono::milliseconds(DbRateLimiter::kAccountMemory).count();
  a.failed("10.0.1.2", "", true);
  const auto left = rows();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].key, "10.0.1.2");
}

TEST_P(SharedRateLimits, RateAccount_NamesAreStoredOnlyAsTheirSha256) {
  auto a = on(*store_, RateLimits{});
  const std::string typed = "hunter2-typed-as-a-user-name";
  a.failed("10.0.0.1", typed, true);
  bool account = false;
  for (const auto& r : rows()) {
    EXPECT_EQ(r.key.find("hunter2"), std::string::npos) << r.kind;
    if (r.kind == "account") {
      account = true;
      EXPECT_EQ(r.key, digest::sha256_hex(typed));
      EXPECT_EQ(r.failures, 1);
    }
  }
  EXPECT_TRUE(account);
}

TEST_P(SharedRateLimits, ShareLinkRateLimit_TwoHostsShareTheLinkAndClientBuckets) {
  auto other = open_another();
  ASSERT_TRUE(other);
  const ShareLinkLimits l{60, 3, 6, 4};
  DbShareLinkLimiter a(
      store_->backend(), [this] { return now_ms_; }, l);
  DbShareLinkLimiter b(
      other->backend(), [this] { return now_ms_; }, l);
  EXPECT_EQ(a.take("link", "10.0.0.1"), 0);
  EXPECT_EQ(b.take("link", "10.0.0.2"), 0);
  EXPECT_EQ(a.take("link", "10.0.0.3"), 0);
  EXPECT_EQ(b.take("link", "10.0.0.4"), 1);  // the link's 3 were spent on both hosts
  EXPECT_EQ(b.take("x", "10.0.0.1"), 0);
  EXPECT_EQ(a.take("y", "10.0.0.1"), 0);
  EXPECT_EQ(b.take("z", "10.0.0.1"), 0);
  EXPECT_EQ(a.take("w", "10.0.0.1"), 10);  // the client's 4, 6 a minute
  now_ms_ += 11 * 60'000;
  ASSERT_TRUE(a.purge().ok());
  EXPECT_TRUE(rows().empty());  // every bucket is full again: nothing to keep
}

// When the store cannot answer: a sign-in attempt is refused with 503
// [store-unavailable] (no unlimited guessing), a bearer check is allowed
// (the token check answers 503 itself) and a share-link view goes on to
// the link check, which needs the store too.
TEST_P(SharedRateLimits, StoreUnavailable_SignInIsRefusedWith503AndBearerChecksPass) {
  auto a = on(*store_, RateLimits{});
  DbShareLinkLimiter s(
      store_->backend(), [this] { return now_ms_; }, ShareLinkLimits{});
  ASSERT_TRUE(raw_sql("DROP TABLE rate_limits"));
  auto d = a.attempt("10.0.0.1", "");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, rules::kStoreUnavailable);
  EXPECT_FALSE(a.attempt("10.0.0.1", "user:idp/ada").allowed);
  EXPECT_TRUE(a.check("10.0.0.1").allowed);
  a.failed("10.0.0.1", "user:idp/ada", true);  // nothing to count into; no crash
  EXPECT_EQ(s.take("link", "10.0.0.1"), 0);

  Request req;
  req.method = "POST";
  req.path = "/login";
  const Response r = rate_limited(req, Credentials::browser, d);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("[store-unavailable]"), std::string::npos);
  bool retry = false;
  for (const auto& [k, v] : r.headers) retry = retry || k == "Retry-After";
  EXPECT_TRUE(retry);
}

}  // namespace
}  // namespace vitrine::server
