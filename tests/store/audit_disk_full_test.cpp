// P9 under a full disk (docs/security/storage.md, "Audit"): a failed audit
// write is never silent. The database is capped with SQLite's
// max_page_count (VITRINE_DB_MAX_PAGES), which fails writes with the very
// SQLITE_FULL a full disk gives, without root.
// SQLite only: the cap is SQLite's own max_page_count.
#include <cstdlib>

#include "test_support.h"

namespace vitrine::store::testing {
namespace {

class AuditDiskFull : public StoreTest {
 protected:
  // Reopens the store capped at its current size: no page can be added.
  void reopen_full() {
    crypto::Keyring ring = *store_->keyring();
    ::setenv("VITRINE_DB_MAX_PAGES", "1", 1);  // clamped up to the current size
    reopen(ring);
    ::unsetenv("VITRINE_DB_MAX_PAGES");
  }
  // Appends audit rows, smaller and smaller, until even a small one fails:
  // no audit row fits any more. Returns the last failure.
  Result<int64_t> fill() {
    Result<int64_t> last = int64_t{0};
    for (std::size_t size : {400, 100, 20, 1}) {
      last = int64_t{0};
      for (int i = 0; i < 5000 && last.ok(); ++i) {
        last = store_->audit().record({"test", "", "test.fill", std::string(size, 'f'), "ok", {}});
      }
    }
    return last;
  }
};

TEST_F(AuditDiskFull, P9_AFailedAuditWriteIsCountedMakesTheHostUnreadyAndFailsAdminActions) {
  ASSERT_TRUE(store_->spaces().create("test", "team-a", "").ok());
  // Room to free later: an asset of about 300 KiB.
  const std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\"><!--" + std::string(300 * 1024, 'x') + "--></svg>";
  auto asset = store_->assets().put("team-a", "image/svg+xml", svg);
  ASSERT_TRUE(asset.ok()) << asset.error().message;
  reopen_full();
  auto& health = store_->audit().health();
  EXPECT_EQ(health.unready_reason(), "");

  const Result<int64_t> last = fill();
  ASSERT_FALSE(last.ok()) << "the capped database never filled";
  EXPECT_NE(last.error().message.find("full"), std::string::npos) << last.error().message;
  EXPECT_GE(health.failures(), 1u);
  EXPECT_NE(health.unready_reason().find("[audit-write-failed]"), std::string::npos);

  // An admin action whose audit row cannot be written does not happen.
  const auto failures = health.failures();
  auto created = store_->spaces().create("test", "team-b", "");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, Errc::io);
  EXPECT_NE(created.error().message.find("[audit-write-failed] the action was not done"),
            std::string::npos)
      << created.error().message;
  EXPECT_FALSE(store_->backend().get_space("team-b").ok());
  EXPECT_GT(health.failures(), failures);

  // Freeing room (deleting the asset, itself audited) brings it back.
  auto removed = store_->assets().remove("test", "team-a", *asset);
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ(health.unready_reason(), "");
  EXPECT_TRUE(store_->spaces().create("test", "team-b", "").ok());
}

TEST_F(AuditDiskFull, P9_LicenseCountsSurviveAFailedFlushAndAreWrittenOnceThereIsRoom) {
  ASSERT_TRUE(store_->spaces().create("test", "team-a", "").ok());
  const std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\"><!--" + std::string(300 * 1024, 'x') + "--></svg>";
  auto asset = store_->assets().put("team-a", "image/svg+xml", svg);
  ASSERT_TRUE(asset.ok());
  reopen_full();
  auto& agg = store_->license_audit();
  agg.set_window(std::chrono::hours(1));
  ASSERT_FALSE(fill().ok());
  for (int i = 0; i < 7; ++i) agg.note({"team-a", "alert_list", "alert-badge", true, "ok"});
  EXPECT_FALSE(agg.flush().ok());
  EXPECT_EQ(agg.open_windows(), 1u);  // kept, not lost
  agg.note({"team-a", "alert_list", "alert-badge", true, "ok"});
  ASSERT_TRUE(store_->assets().remove("test", "team-a", *asset).ok());
  ASSERT_TRUE(agg.flush().ok());
  AuditQuery q;
  q.action_prefix = "license.";
  auto rows = store_->audit().query(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_NE((*rows)[0].detail_json.find("\"count\":8"), std::string::npos)
      << (*rows)[0].detail_json;
}

}  // namespace
}  // namespace vitrine::store::testing
