// Share-link rate limits (server/share_links_limiter.h): the in-process
// limiter's memory bound. The bucket rules run on it and on the database
// limiter in tests/server/rate_limit_db_test.cpp.
#include <gtest/gtest.h>

#include "server/share_links_limiter.h"

namespace vitrine::server {
namespace {

TEST(ShareLinkRateLimit, BucketsAreBounded) {
  int64_t now = 1'000'000;
  MemoryShareLinkLimiter limiter(ShareLinkLimits{60, 1, 60, 1}, [&] { return now; });
  for (std::size_t i = 0; i < MemoryShareLinkLimiter::kMaxBuckets + 5; ++i) {
    EXPECT_EQ(limiter.take("l" + std::to_string(i), "c" + std::to_string(i)), 0);
  }
  // Buckets of idle keys were dropped; the newest are still counted.
  EXPECT_GT(limiter.take("l" + std::to_string(MemoryShareLinkLimiter::kMaxBuckets + 4), "x"), 0);
}

}  // namespace
}  // namespace vitrine::server
