// Share-link rate limits (server/share_links_limiter.h): a bucket per link
// and per client address; an empty bucket answers how long to wait.
#include <gtest/gtest.h>

#include "server/share_links_limiter.h"

namespace vitrine::server {
namespace {

TEST(ShareLinkRateLimit, PerLinkBurstThenRetryAfter) {
  int64_t now = 1'000'000;
  ShareLinkLimiter limiter(ShareLinkLimits{60, 3, 1000, 1000}, [&] { return now; });
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.take("link", "client-" + std::to_string(i)), 0);
  const int wait = limiter.take("link", "client-9");
  EXPECT_EQ(wait, 1);  // 60 a minute: one token back within a second
  // Another link is not affected.
  EXPECT_EQ(limiter.take("other", "client-9"), 0);
  now += 1000;
  EXPECT_EQ(limiter.take("link", "client-9"), 0);
}

TEST(ShareLinkRateLimit, PerClientAcrossLinks) {
  int64_t now = 1'000'000;
  ShareLinkLimiter limiter(ShareLinkLimits{1000, 1000, 6, 2}, [&] { return now; });
  EXPECT_EQ(limiter.take("a", "10.0.0.1"), 0);
  EXPECT_EQ(limiter.take("b", "10.0.0.1"), 0);
  EXPECT_EQ(limiter.take("c", "10.0.0.1"), 10);  // 6 a minute: 10 s per token
  EXPECT_EQ(limiter.take("c", "10.0.0.2"), 0);
  now += 10'000;
  EXPECT_EQ(limiter.take("c", "10.0.0.1"), 0);
}

TEST(ShareLinkRateLimit, BucketsAreBounded) {
  int64_t now = 1'000'000;
  ShareLinkLimiter limiter(ShareLinkLimits{60, 1, 60, 1}, [&] { return now; });
  for (std::size_t i = 0; i < ShareLinkLimiter::kMaxBuckets + 5; ++i) {
    EXPECT_EQ(limiter.take("l" + std::to_string(i), "c" + std::to_string(i)), 0);
  }
  // Buckets of idle keys were dropped; the newest are still counted.
  EXPECT_GT(limiter.take("l" + std::to_string(ShareLinkLimiter::kMaxBuckets + 4), "x"), 0);
}

}  // namespace
}  // namespace vitrine::server
