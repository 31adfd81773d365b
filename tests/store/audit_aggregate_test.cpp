// P9 at scale (docs/security/storage.md, "Audit"): identical license
// decisions are counted per window and written as one row (first and last
// time, count); checking does not write; closing the store loses nothing.
#include <chrono>
#include <thread>

#include "backend_test_support.h"
#include "store/audit_chain.h"

namespace vitrine::store::testing {
namespace {

using Aggregate = BackendTest;

LicenseDecision badge(const std::string& space, bool licensed = true) {
  return {space, "alert_list", "alert-badge", licensed, licensed ? "licensed by L1" : "expired"};
}

int64_t rows_of(Store& s, const std::string& action) {
  AuditQuery q;
  q.action_prefix = action;
  auto rows = s.audit().query(q);
  return rows.ok() ? static_cast<int64_t>(rows->size()) : -1;
}

TEST_P(Aggregate, P9_IdenticalLicenseDecisionsBecomeOneRowPerWindowWithTheirCount) {
  auto& agg = store_->license_audit();
  agg.set_window(std::chrono::hours(1));  // closes only at flush here
  const auto before = *store_->backend().count_audit();
  const int64_t first = now_ms_;
  for (int i = 0; i < 1000; ++i) {
    agg.note(badge("team-a"));
    now_ms_ += 10;
  }
  agg.note(badge("team-a", false));
  agg.note(badge("team-b"));
  // Checking wrote nothing.
  EXPECT_EQ(*store_->backend().count_audit(), before);
  EXPECT_EQ(agg.open_windows(), 3u);
  ASSERT_TRUE(agg.flush().ok());
  EXPECT_EQ(agg.open_windows(), 0u);
  AuditQuery q;
  q.space = "team-a";
  q.action_prefix = "license.";
  auto rows = store_->audit().query(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  const auto& allow = (*rows)[0].verdict == "allow" ? (*rows)[0] : (*rows)[1];
  EXPECT_EQ(allow.subject, "alert-badge");
  EXPECT_NE(allow.detail_json.find("\"count\":1000"), std::string::npos) << allow.detail_json;
  EXPECT_NE(allow.detail_json.find("\"plugin\":\"alert_list\""), std::string::npos);
  EXPECT_NE(allow.detail_json.find("\"first_at\":" + std::to_string(first)), std::string::npos);
  EXPECT_NE(allow.detail_json.find("\"last_at\":" + std::to_string(first + 9990)),
            std::string::npos)
      << allow.detail_json;
  EXPECT_EQ(rows_of(*store_, "license."), 3);
  EXPECT_TRUE(verify_audit_chain(store_->backend(), {})->ok);
}

TEST_P(Aggregate, P9_AWindowIsWrittenWhenItClosesWithoutAFlush) {
  auto& agg = store_->license_audit();
  agg.set_window(std::chrono::milliseconds(40));
  agg.note(badge("team-a"));
  now_ms_ += 50;  // the store's clock: the window is over
  for (int i = 0; i < 200 && rows_of(*store_, "license.") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(rows_of(*store_, "license."), 1);
  EXPECT_EQ(agg.open_windows(), 0u);
}

TEST_P(Aggregate, P9_ClosingTheStoreWritesEveryOpenWindow) {
  store_->license_audit().set_window(std::chrono::hours(1));
  for (int i = 0; i < 10; ++i) store_->license_audit().note(badge("team-a"));
  crypto::Keyring ring = *store_->keyring();
  reopen(ring);  // destroys the store: its final flush
  EXPECT_EQ(rows_of(*store_, "license."), 1);
}

VITRINE_ON_EVERY_BACKEND(Aggregate);

}  // namespace
}  // namespace vitrine::store::testing
