// P1 P3 P9: a plugin runs only on an approved permission set; a version that
// changes scopes or egress waits for approval; the diff is +/- lines.
#include "store/approvals.h"

#include "test_support.h"

namespace vitrine::store::testing {
namespace {

using Approvals_ = StoreTest;

TEST_F(Approvals_, P9_CanonicalJsonIsOrderIndependent) {
  auto a =
      plugin_manifest("p", "1", {"b", "a"}, {wildcard_entry("y.com"), wildcard_entry("x.com")});
  auto b = plugin_manifest("p", "1", {"a", "b", "a"},
                           {wildcard_entry("x.com"), wildcard_entry("y.com")});
  EXPECT_EQ(canonical_json(permissions_of(a)), canonical_json(permissions_of(b)));
  auto parsed = parse_permissions_json(canonical_json(permissions_of(a)));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(canonical_json(*parsed), canonical_json(permissions_of(a)));
}

TEST_F(Approvals_, P1_NewVersionWithChangedPermissionsWaitsForApproval) {
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

TEST_F(Approvals_, P6_EnableNeedsAnApprovedPluginAndAnExistingSpace) {
  auto ap = store_->approvals();
  ASSERT_TRUE(store_->spaces().create("t", "team-a", "").ok());
  EXPECT_EQ(ap.enable("t", "team-a", "alert_list").error().code, Errc::denied);
  approve_plugins();
  EXPECT_TRUE(ap.enable("t", "team-a", "alert_list").ok());
  EXPECT_EQ(ap.enable("t", "nope", "alert_list").error().code, Errc::not_found);
  EXPECT_TRUE(ap.disable("t", "team-a", "alert_list").ok());
  EXPECT_TRUE(ap.enabled("team-a")->empty());
}

}  // namespace
}  // namespace vitrine::store::testing
