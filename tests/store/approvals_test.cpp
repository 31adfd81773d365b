// P1 P3 P9: a plugin runs only on an approved permission set; a version that
// changes scopes or egress waits for approval; the diff is +/- lines.
#include "store/approvals.h"

#include "backend_test_support.h"

namespace vitrine::store::testing {
namespace {

using Approvals_ = BackendTest;

TEST_P(Approvals_, P9_CanonicalJsonIsOrderIndependent) {
  auto a =
      plugin_manifest("p", "1", {"b", "a"}, {wildcard_entry("y.com"), wildcard_entry("x.com")});
  auto b = plugin_manifest("p", "1", {"a", "b", "a"},
                           {wildcard_entry("x.com"), wildcard_entry("y.com")});
  EXPECT_EQ(canonical_json(permissions_of(a)), canonical_json(permissions_of(b)));
  auto parsed = parse_permissions_json(canonical_json(permissions_of(a)));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(canonical_json(*parsed), canonical_json(permissions_of(a)));
}

TEST_P(Approvals_, P1_NewVersionWithChangedPermissionsWaitsForApproval) {
  auto ap = store_->approvals();
  auto v1 = plugin_manifest("alert_list", "1.0.0", {"grafana:read:alerts"},
                            {wildcard_entry("grafana.net")});
  auto never = ap.decide(v1);
  ASSERT_TRUE(never.ok());
  EXPECT_FALSE(never->may_run);
  ASSERT_TRUE(ap.approve("admin", v1).ok());
  EXPECT_TRUE(ap.decide(v1)->may_run);
  // Same permissions, new version: runs.
  auto v11 = plugin_manifest("alert_list", "1.1.0", {"grafana:read:alerts"},
                             {wildcard_entry("grafana.net")});
  EXPECT_TRUE(ap.decide(v11)->may_run);
  // New scope and egress: waits; the old approval stays the latest.
  auto v2 =
      plugin_manifest("alert_list", "2.0.0", {"grafana:read:alerts", "grafana:read:dashboards"},
                      {wildcard_entry("grafana.net"), wildcard_entry("evil.example")});
  auto d = ap.decide(v2);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->may_run);
  ASSERT_TRUE(d->approval.has_value());
  EXPECT_EQ(d->approval->version, "1.0.0");
  const std::vector<std::string> expected = {"+ egress https://*.evil.example",
                                             "+ scope grafana:read:dashboards"};
  EXPECT_EQ(d->diff, expected);
  EXPECT_NE(d->reason.find("1.0.0 keeps running"), std::string::npos);
  ASSERT_TRUE(ap.approve("admin", v2).ok());
  EXPECT_TRUE(ap.decide(v2)->may_run);
  EXPECT_FALSE(ap.decide(v1)->may_run);  // dropping permissions is a change too
  auto back = ap.diff(v1);
  const std::vector<std::string> removed = {"- egress https://*.evil.example",
                                            "- scope grafana:read:dashboards"};
  EXPECT_EQ(*back, removed);
}

// LC-6: a withdrawn approval is history, not permission; approving again
// is a new row, and the withdrawal and its reason are audited.
TEST_P(Approvals_, LC6_WithdrawnApprovalCoversNothingUntilApprovedAgain) {
  auto ap = store_->approvals();
  auto v1 = plugin_manifest("alert_list", "1.0.0", {"grafana:read:alerts"},
                            {wildcard_entry("grafana.net")});
  auto none = ap.withdraw("admin", "alert_list", "compromised publisher key");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Errc::not_found) << none.error().message;
  ASSERT_TRUE(ap.approve("admin", v1).ok());
  ASSERT_TRUE(ap.decide(v1)->may_run);

  auto no_reason = ap.withdraw("admin", "alert_list", "");
  ASSERT_FALSE(no_reason.ok());
  EXPECT_EQ(no_reason.error().code, Errc::invalid);
  EXPECT_TRUE(ap.decide(v1)->may_run) << "a refused withdrawal changes nothing";

  auto n = ap.withdraw("secops", "alert_list", "compromised publisher key");
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 1);
  EXPECT_FALSE(ap.decide(v1)->may_run);
  EXPECT_TRUE(ap.latest_permissions()->empty()) << "withdrawn permissions grant no egress";
  auto rows = ap.list("alert_list");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u) << "the approval stays as history";
  EXPECT_EQ(rows->front().withdrawn_by, "secops");
  EXPECT_NE(rows->front().withdrawn_at_ms, 0);
  EXPECT_FALSE(ap.withdraw("secops", "alert_list", "again").ok()) << "nothing left in force";

  ASSERT_TRUE(ap.approve("admin", v1).ok());
  EXPECT_TRUE(ap.decide(v1)->may_run);
  EXPECT_EQ(ap.list("alert_list")->size(), 2u);

  AuditQuery q;
  auto audit = store_->audit().query(q);
  ASSERT_TRUE(audit.ok());
  bool seen = false;
  for (const auto& r : *audit) {
    if (r.action == "plugin.withdraw" && r.verdict == "ok") {
      seen = true;
      EXPECT_EQ(r.who, "secops");
      EXPECT_NE(r.detail_json.find("compromised publisher key"), std::string::npos) << r.detail_json;
    }
  }
  EXPECT_TRUE(seen);
}

TEST_P(Approvals_, P6_EnableNeedsAnApprovedPluginAndAnExistingSpace) {
  auto ap = store_->approvals();
  ASSERT_TRUE(store_->spaces().create("t", "team-a", "").ok());
  EXPECT_EQ(ap.enable("t", "team-a", "alert_list").error().code, Errc::denied);
  approve_plugins();
  EXPECT_TRUE(ap.enable("t", "team-a", "alert_list").ok());
  EXPECT_EQ(ap.enable("t", "nope", "alert_list").error().code, Errc::not_found);
  EXPECT_TRUE(ap.disable("t", "team-a", "alert_list").ok());
  EXPECT_TRUE(ap.enabled("team-a")->empty());
}

VITRINE_ON_EVERY_BACKEND(Approvals_);

}  // namespace
}  // namespace vitrine::store::testing
