// P5 P8: cache entries are encrypted, have fresh and stale windows, and are
// bounded with LRU eviction.
#include "backend_test_support.h"

namespace vitrine::store::testing {
namespace {

class CacheTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    approve_plugins();
    make_space("team-a", "https://a.grafana.net", make_glsa('a'));
  }
};

TEST_P(CacheTest, P8_FreshThenStaleThenGone) {
  auto c = store_->cache();
  ASSERT_TRUE(c.put("team-a", "alert_list", "k", "v1", 60, 120).ok());
  auto fresh = c.get("team-a", "alert_list", "k");
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(fresh->stale);
  EXPECT_EQ(fresh->fetched_at_ms, now_ms_);
  EXPECT_EQ(fresh->fresh_until_ms, now_ms_ + 60'000);
  EXPECT_EQ(fresh->stale_until_ms, now_ms_ + 180'000);
  now_ms_ += 60'000;
  auto stale = c.get("team-a", "alert_list", "k");
  ASSERT_TRUE(stale.ok());
  EXPECT_TRUE(stale->stale);
  EXPECT_EQ(stale->value.view(), "v1");
  now_ms_ += 120'000;
  EXPECT_EQ(c.get("team-a", "alert_list", "k").error().code, Errc::not_found);
}

TEST_P(CacheTest, P5_ValuesAndKeysAreNotStoredInTheClear) {
  auto c = store_->cache();
  ASSERT_TRUE(c.put("team-a", "alert_list", "https://a.grafana.net/api/x?team=secret-team",
                    "PLAINTEXT-CACHED-VALUE", 60)
                  .ok());
  auto rows = store_->backend().list_encrypted();
  ASSERT_TRUE(rows.ok());
  for (const auto& r : *rows) {
    EXPECT_EQ(r.record.find("PLAINTEXT"), std::string::npos);
    EXPECT_EQ(r.b.find("secret-team"), std::string::npos);
  }
}

TEST_P(CacheTest, P6_LeastRecentlyUsedEntriesAreEvictedAtTheSpaceBound) {
  cache_limits_.max_space_bytes = 1000;
  cache_limits_.touch_interval_ms = 0;  // exact recency at this test's 1 ms clock steps
  reopen(crypto::Keyring(*store_->keyring()));
  auto c = store_->cache();
  const std::string value(100, 'v');  // ~180 bytes per stored record
  for (int i = 0; i < 5; ++i) {
    now_ms_ += 1;
    ASSERT_TRUE(c.put("team-a", "alert_list", "k" + std::to_string(i), value, 60).ok());
  }
  now_ms_ += 1;
  ASSERT_TRUE(c.get("team-a", "alert_list", "k0").ok());  // k0 is now most recent
  now_ms_ += 1;
  ASSERT_TRUE(c.put("team-a", "alert_list", "k5", value, 60).ok());
  EXPECT_LE(*store_->backend().cache_bytes("team-a"), 1000);
  EXPECT_TRUE(c.get("team-a", "alert_list", "k0").ok());
  EXPECT_EQ(c.get("team-a", "alert_list", "k1").error().code, Errc::not_found);
  EXPECT_TRUE(c.get("team-a", "alert_list", "k5").ok());
}

TEST_P(CacheTest, P8_LimitsAreClearErrors) {
  auto c = store_->cache();
  EXPECT_EQ(c.put("team-a", "alert_list", "", "v", 60).error().code, Errc::invalid);
  EXPECT_EQ(c.put("team-a", "alert_list", "k", std::string(2 << 20, 0), 60).error().code,
            Errc::invalid);
  EXPECT_EQ(c.put("no-space", "alert_list", "k", "v", 60).error().code, Errc::not_found);
}

VITRINE_ON_EVERY_BACKEND(CacheTest);

}  // namespace
}  // namespace vitrine::store::testing
