// The plugin lifecycle rules LC-1..LC-6 (reconcile/plugin_plan.h), one
// table row per situation a platform admin meets.
#include "reconcile/plugin_plan.h"

#include <gtest/gtest.h>

#include "digest/sha256.h"
#include "store/crypto/encoding.h"

namespace vitrine::reconcile {
namespace {

struct Art {
  std::string version;
  char lib;  // library digest fill character
  std::vector<std::string> scopes;
  int64_t installed_at = 0;
  bool loads = true;
};

store::ArtifactRow row_of(const Art& a) {
  store::ArtifactRow r;
  r.plugin_id = "alert_list";
  r.version = a.version;
  r.library_sha256 = std::string(64, a.lib);
  std::string scopes;
  for (const auto& s : a.scopes) scopes += s + ",";
  r.manifest_sha256 = digest::sha256_hex(a.version + scopes);
  r.installed_at_ms = a.installed_at;
  return r;
}

manifest::Manifest manifest_of(const Art& a) {
  manifest::Manifest m;
  m.id = "alert_list";
  m.version = a.version;
  m.scopes = a.scopes;
  manifest::EgressEntry e;
  e.text = "https://*.grafana.net";
  e.wildcard = true;
  e.host = "grafana.net";
  m.egress = {e};
  return m;
}

store::ApprovalRow approval_of(const Art& a) {
  store::ApprovalRow ap;
  ap.plugin_id = "alert_list";
  ap.version = a.version;
  ap.permissions_json = store::canonical_json(store::permissions_of(manifest_of(a)));
  ap.permissions_hash = digest::sha256_hex(ap.permissions_json);
  const auto r = row_of(a);
  ap.manifest_sha256 = r.manifest_sha256;
  ap.library_sha256 = r.library_sha256;
  return ap;
}

struct Case {
  const char* name;
  std::vector<Art> installed;
  std::vector<Art> approved;
  std::string pin;
  // Expected "version:state" per artifact in plan order.
  std::vector<std::string> expect;
  std::string expect_rule_of_last;  // rule of the last artifact in plan order
};

const std::vector<std::string> kAlerts = {"grafana:read:alerts"};
const std::vector<std::string> kMore = {"grafana:read:alerts", "grafana:read:dashboards"};

const Case kCases[] = {
    {"LC2_NewestApprovedRuns",
     {{"1.0.0", 'a', kAlerts, 1}, {"1.1.0", 'b', kAlerts, 2}},
     {{"1.0.0", 'a', kAlerts}, {"1.1.0", 'b', kAlerts}},
     "",
     {"1.1.0:candidate", "1.0.0:candidate"},
     ""},
    {"LC3_UpgradeAwaitingApprovalNeverStopsTheApprovedVersion",
     {{"1.0.0", 'a', kAlerts, 1}, {"1.1.0", 'b', kMore, 2}},
     {{"1.0.0", 'a', kAlerts}},
     "",
     {"1.0.0:candidate", "1.1.0:awaiting-approval"},
     "plugin-awaiting-approval"},
    {"LC1_ImpostorLibraryUnderAnApprovedVersionIsRefused",
     {{"1.0.0", 'a', kAlerts, 1}, {"1.0.0", 'x', kAlerts, 2}},
     {{"1.0.0", 'a', kAlerts}},
     "",
     {"1.0.0:candidate", "1.0.0:refused"},
     "plugin-artifact-unapproved"},
    {"LC1_ApprovalOfOtherPermissionsDoesNotCover",
     {{"1.0.0", 'a', kMore, 1}},
     {{"1.0.0", 'a', kAlerts}},
     "",
     {"1.0.0:refused"},
     "plugin-artifact-unapproved"},
    {"LC2_RollbackPinRunsTheOlderApprovedVersion",
     {{"1.0.0", 'a', kAlerts, 1}, {"1.1.0", 'b', kAlerts, 2}},
     {{"1.0.0", 'a', kAlerts}, {"1.1.0", 'b', kAlerts}},
     "1.0.0",
     {"1.0.0:candidate", "1.1.0:candidate"},
     ""},
    {"LC2_PinOfAnUnapprovedVersionIsIgnored",
     {{"1.0.0", 'a', kAlerts, 1}, {"1.1.0", 'b', kAlerts, 2}},
     {{"1.1.0", 'b', kAlerts}},
     "1.0.0",
     {"1.1.0:candidate", "1.0.0:awaiting-approval"},
     "plugin-awaiting-approval"},
    {"LC3_NeverApprovedAwaits",
     {{"1.0.0", 'a', kAlerts, 1}},
     {},
     "",
     {"1.0.0:awaiting-approval"},
     "plugin-awaiting-approval"},
    {"LC5_ArtifactThatNoLongerLoadsIsRefusedAndTheOlderRuns",
     {{"1.0.0", 'a', kAlerts, 1}, {"1.1.0", 'b', kAlerts, 2, false}},
     {{"1.0.0", 'a', kAlerts}, {"1.1.0", 'b', kAlerts}},
     "",
     {"1.0.0:candidate", "1.1.0:refused"},
     "plugin-artifact-tampered"},
    {"LC2_VersionsCompareNumerically",
     {{"1.9.0", 'a', kAlerts, 2}, {"1.10.0", 'b', kAlerts, 1}},
     {{"1.9.0", 'a', kAlerts}, {"1.10.0", 'b', kAlerts}},
     "",
     {"1.10.0:candidate", "1.9.0:candidate"},
     ""},
};

class PluginPlanRules : public ::testing::TestWithParam<Case> {};

TEST_P(PluginPlanRules, DecidesWhichVersionRuns) {
  const Case& c = GetParam();
  PlanInput in;
  for (const auto& a : c.installed) {
    in.artifacts.push_back(row_of(a));
    if (a.loads) {
      in.loaded.emplace_back(store::LoadedArtifact{row_of(a), manifest_of(a)});
    } else {
      in.loaded.emplace_back(store::make_error(
          store::Errc::denied, "the stored library changed [plugin-artifact-tampered]"));
    }
  }
  for (const auto& a : c.approved) in.approvals.push_back(approval_of(a));
  if (!c.pin.empty()) in.pins.push_back({"alert_list", c.pin, 0, "admin"});
  const PluginPlan plan = plan_plugins(in);
  ASSERT_EQ(plan.plugins.size(), 1u);
  const auto& list = plan.plugins.at("alert_list");
  std::vector<std::string> got;
  for (const auto& a : list) got.push_back(a.row.version + ":" + a.state);
  EXPECT_EQ(got, c.expect);
  EXPECT_EQ(list.back().rule, c.expect_rule_of_last);
  for (const auto& a : list) {
    if (a.state != "candidate") {
      EXPECT_FALSE(a.detail.empty()) << "every non-running artifact says why";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Lifecycle, PluginPlanRules, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PluginPlan, LC3_AwaitingVersionShowsItsDiffAgainstTheRunningVersion) {
  PlanInput in;
  Art old{"1.0.0", 'a', kAlerts, 1}, next{"1.1.0", 'b', kMore, 2};
  for (const auto& a : {old, next}) {
    in.artifacts.push_back(row_of(a));
    in.loaded.emplace_back(store::LoadedArtifact{row_of(a), manifest_of(a)});
  }
  in.approvals.push_back(approval_of(old));
  const auto plan = plan_plugins(in);
  const auto& waiting = plan.plugins.at("alert_list").back();
  EXPECT_EQ(waiting.diff, std::vector<std::string>{"+ scope grafana:read:dashboards"});
  EXPECT_NE(waiting.detail.find("1.0.0 keeps running"), std::string::npos) << waiting.detail;
}

TEST(PluginPlan, LC6_WithdrawnApprovalRefusesEveryVersionItCovered) {
  PlanInput in;
  Art old{"1.0.0", 'a', kAlerts, 1}, next{"1.1.0", 'b', kAlerts, 2};
  for (const auto& a : {old, next}) {
    in.artifacts.push_back(row_of(a));
    in.loaded.emplace_back(store::LoadedArtifact{row_of(a), manifest_of(a)});
  }
  for (const auto& a : {old, next}) {
    auto ap = approval_of(a);
    ap.withdrawn_at_ms = 1'700'000'000'000;
    ap.withdrawn_by = "secops";
    in.approvals.push_back(ap);
  }
  in.pins.push_back({"alert_list", "1.0.0", 0, "admin"});
  auto plan = plan_plugins(in);
  for (const auto& a : plan.plugins.at("alert_list")) {
    EXPECT_EQ(a.state, "refused") << a.row.version;
    EXPECT_EQ(a.rule, "plugin-approval-withdrawn") << a.row.version;
    EXPECT_NE(a.detail.find("withdrawn by secops"), std::string::npos) << a.detail;
  }
  // Approving one version again (a new row) lets exactly that one run.
  in.approvals.push_back(approval_of(next));
  plan = plan_plugins(in);
  const auto& list = plan.plugins.at("alert_list");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list.front().row.version + ":" + list.front().state, "1.1.0:candidate");
  EXPECT_EQ(list.back().row.version + ":" + list.back().rule, "1.0.0:plugin-approval-withdrawn");
}

TEST(PluginPlan, InstanceKeyNamesVersionAndBothDigests) {
  store::ArtifactRow r;
  r.plugin_id = "alert_list";
  r.version = "1.2.3";
  r.library_sha256 = std::string(64, 'a');
  r.manifest_sha256 = std::string(64, 'b');
  EXPECT_EQ(instance_key(r), "alert_list@1.2.3+aaaaaaaaaaaa.bbbbbbbb");
}

}  // namespace
}  // namespace vitrine::reconcile
