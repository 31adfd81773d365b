// The least-privilege report (store/usage.h): declared scopes and egress
// entries against what the audit rows show the plugin used.
#include "store/usage.h"

#include "backend_test_support.h"
#include "store/report.h"

namespace vitrine::store::testing {
namespace {

constexpr const char* kRules =
    "https://a.grafana.net/api/prometheus/grafana/api/v1/rules?x=REDACTED";

AuditRow egress_row(const std::string& plugin, const std::string& space, int64_t at,
                    const std::string& url, const std::string& verdict,
                    const std::string& rule = "egress-allow") {
  AuditRow r;
  r.at_ms = at;
  r.who = "plugin:" + plugin;
  r.space = space;
  r.action = "egress.fetch";
  r.subject = url;
  r.verdict = verdict;
  r.detail_json = detail_json({{"plugin", plugin, false}, {"rule", rule, false}});
  return r;
}

manifest::Manifest alerts_plugin() {
  return plugin_manifest("alert_list", "1.0.0",
                         {"grafana:read:alerts", "grafana:read:annotations", "storage:cache"},
                         {wildcard_entry("grafana.net"), wildcard_entry("example.org", true)});
}

bool has_line(const UsageReport& r, const std::string& line) {
  return std::find(r.verdicts.begin(), r.verdicts.end(), line) != r.verdicts.end();
}

TEST(Usage, LeastPrivilege_CountsAllowedRequestsPerScopeAndEntry) {
  std::vector<AuditRow> rows = {
      egress_row("alert_list", "demo", 1000, kRules, "allow"),
      egress_row("alert_list", "demo", 2000,
                 "https://b.grafana.net/api/alertmanager/grafana/api/v2/alerts", "allow"),
      egress_row("alert_list", "demo", 3000, kRules, "allow"),
      // Another plugin's and an admin row never count.
      egress_row("dashboard", "demo", 4000, "https://a.grafana.net/api/annotations", "allow"),
  };
  AuditRow admin;
  admin.action = "plugin.approve";
  admin.who = "cli:root";
  rows.push_back(admin);

  const UsageReport r = compute_usage(rows, alerts_plugin(), std::nullopt, 0);
  EXPECT_EQ(r.rows, 3);
  ASSERT_EQ(r.scopes.size(), 3u);
  EXPECT_EQ(r.scopes[0].scope, "grafana:read:alerts");
  EXPECT_EQ(r.scopes[0].requests, 3);
  EXPECT_EQ(r.scopes[0].last_ms, 3000);
  EXPECT_EQ(r.scopes[1].requests, 0);
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0].requests, 3);
  ASSERT_EQ(r.entries[0].hosts.size(), 2u);
  EXPECT_EQ(r.entries[0].hosts[0].origin, "https://a.grafana.net");
  EXPECT_EQ(r.entries[0].hosts[0].requests, 2);
  EXPECT_EQ(r.entries[0].hosts[1].origin, "https://b.grafana.net");
  EXPECT_EQ(r.unattributed, 0);
}

TEST(Usage, LeastPrivilege_NamesEveryDeclaredPermissionNeverUsed) {
  std::vector<AuditRow> rows = {egress_row("alert_list", "demo", 5000, kRules, "allow")};
  const UsageReport r = compute_usage(rows, alerts_plugin(), std::nullopt, 0);
  EXPECT_TRUE(has_line(r, "scope grafana:read:annotations: never used in the whole audit log"));
  EXPECT_TRUE(has_line(r, "egress entry https://*.example.org: never used in the whole audit log"));
  EXPECT_FALSE(has_line(r, "scope grafana:read:alerts: never used in the whole audit log"));
  // storage:* opens no Grafana path: the egress audit cannot show it unused.
  for (const auto& v : r.verdicts) EXPECT_EQ(v.find("storage:cache"), std::string::npos) << v;
  EXPECT_FALSE(r.scopes[2].http);
  EXPECT_EQ(r.verdicts.size(), 2u);
}

TEST(Usage, LeastPrivilege_SinceAndSpaceNarrowTheRows) {
  std::vector<AuditRow> rows = {
      egress_row("alert_list", "demo", 1000, "https://a.grafana.net/api/annotations", "allow"),
      egress_row("alert_list", "other", 90'000'000, "https://a.grafana.net/api/annotations",
                 "allow"),
      egress_row("alert_list", "demo", 90'000'000, kRules, "allow"),
  };
  const UsageReport r = compute_usage(rows, alerts_plugin(), std::string("demo"), 86'400'000);
  EXPECT_EQ(r.rows, 1);
  EXPECT_EQ(r.scopes[0].requests, 1);
  EXPECT_EQ(r.scopes[1].requests, 0);
  EXPECT_TRUE(has_line(r, "scope grafana:read:annotations: never used since 1970-01-02T00:00:00Z"));
}

TEST(Usage, LeastPrivilege_DenialsGroupedByRuleWithTheLatestExample) {
  std::vector<AuditRow> rows = {
      egress_row("alert_list", "demo", 1000, "https://evil.example/a?t=REDACTED", "deny",
                 "egress-host-not-declared"),
      egress_row("alert_list", "demo", 2000, "https://evil.example/b", "deny",
                 "egress-host-not-declared"),
      egress_row("alert_list", "demo", 3000, "https://a.grafana.net/api/users", "deny",
                 "egress-scope-path"),
      egress_row("alert_list", "demo", 4000, kRules, "error", "egress-tls"),
  };
  const UsageReport r = compute_usage(rows, alerts_plugin(), std::nullopt, 0);
  ASSERT_EQ(r.refusals.size(), 3u);
  EXPECT_EQ(r.refusals[0].rule, "egress-host-not-declared");
  EXPECT_EQ(r.refusals[0].count, 2);
  EXPECT_EQ(r.refusals[0].example_url, "https://evil.example/b");
  // Refused or failed requests are not use: the scope they aimed at stays unused.
  EXPECT_EQ(r.scopes[0].requests, 0);
  EXPECT_EQ(r.entries[0].requests, 0);
  const std::string text = format_usage_text(r);
  EXPECT_NE(text.find("deny egress-host-not-declared  2, e.g. https://evil.example/b"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("error egress-tls  1"), std::string::npos) << text;
}

TEST(Usage, LeastPrivilege_UnexplainedRequestsAndCustomerOriginAttribution) {
  // /api/search is opened by no declared scope: allowed under an earlier
  // version's permissions, it is counted as unexplained, never dropped.
  std::vector<AuditRow> rows = {
      egress_row("alert_list", "demo", 1000, "https://a.grafana.net/api/search", "allow"),
      // A host no entry matches reached through the one customer-managed entry.
      egress_row("alert_list", "demo", 2000, "https://grafana.corp.test/api/annotations", "allow"),
  };
  const UsageReport r = compute_usage(rows, alerts_plugin(), std::nullopt, 0);
  EXPECT_EQ(r.unattributed, 1);
  EXPECT_EQ(r.scopes[1].requests, 1);
  EXPECT_EQ(r.entries[1].requests, 1);
  ASSERT_EQ(r.entries[1].hosts.size(), 1u);
  EXPECT_EQ(r.entries[1].hosts[0].origin, "https://grafana.corp.test");
  EXPECT_NE(format_usage_text(r).find("1 allowed requests are not explained"), std::string::npos);
}

using UsageStore = BackendTest;

TEST_P(UsageStore, LeastPrivilege_ReadsTheRowsStoreAuditSinkWrote) {
  ASSERT_TRUE(store_->spaces().create("t", "demo", "").ok());
  StoreAuditSink sink(store_->audit());
  sink.record({"alert_list", "demo", "GET", kRules, "allow", "egress-allow", 200, 10, 1});
  sink.record({"alert_list", "demo", "GET", "https://evil.example/", "deny",
               "egress-host-not-declared", 0, 0, 0});
  ASSERT_EQ(sink.failures(), 0u);
  auto r = plugin_usage(store_->audit(), alerts_plugin(), std::string("demo"), 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows, 2);
  EXPECT_EQ(r->scopes[0].requests, 1);
  EXPECT_FALSE(r->truncated);
  const std::string json = format_usage_json(*r);
  EXPECT_NE(json.find("{\"scope\":\"grafana:read:alerts\",\"visible\":true,\"requests\":1,"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"verdicts\":[\"scope grafana:read:annotations: never used"),
            std::string::npos)
      << json;
  auto other = plugin_usage(store_->audit(), alerts_plugin(), std::string("elsewhere"), 0);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->rows, 0);
}

VITRINE_ON_EVERY_BACKEND(UsageStore);

}  // namespace
}  // namespace vitrine::store::testing
