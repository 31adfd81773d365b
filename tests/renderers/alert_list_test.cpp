// The alert_list plugin (alert-list and alert-badge) against rules.json.
#include <gtest/gtest.h>

#include "fake_host.h"

namespace vitrine::test {
namespace {

class AlertList : public ::testing::Test {
 protected:
  void SetUp() override { reset_fake(); }
};

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

const char* const kRulesPath = "/api/prometheus/grafana/api/v1/rules";

TEST(AlertListGolden, TableAndBadgeMatchGolden) {
  struct Case {
    std::string name, macro;
    std::map<std::string, std::string> params;
  };
  const std::vector<Case> cases = {
      {"alert-list-default", "alert-list", {}},
      {"alert-list-all-states",
       "alert-list",
       {{"states", "firing,pending,recovering,normal,nodata,error"}}},
      {"alert-list-payments-critical",
       "alert-list",
       {{"labels", "team=\"payments\""}, {"severity", "critical"}}},
      {"alert-list-filtered-out", "alert-list", {{"labels", "team=\"nobody\""}}},
      {"alert-badge-all", "alert-badge", {}},
      {"alert-badge-payments", "alert-badge", {{"folder", "Payments"}}},
  };
  for (const auto& c : cases) {
    reset_fake();
    const Rendered r = render("alert_list", c.macro, c.params);
    ASSERT_EQ(r.status, VITRINE_OK) << c.name << ": " << r.error;
    EXPECT_EQ(r.ttl_s, 60u);
    expect_golden(c.name, r.html);
    ASSERT_EQ(fake().urls.size(), 1u) << c.name;
    EXPECT_EQ(fake().urls[0], std::string(kBaseUrl) + kRulesPath);
    EXPECT_TRUE(fake().scope_violations.empty());
  }
}

TEST_F(AlertList, StateMergesRuleHealthAndInstanceState) {
  const Rendered r = render("alert_list", "alert-list",
                            {{"states", "firing,pending,recovering,normal,nodata,error"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  // Rule state "inactive" with health "nodata" and instance NoData: no data.
  EXPECT_NE(r.html.find("<td>Payment provider no data</td><td><span class=\"vitrine-state "
                        "vitrine-state-nodata\">No data</span>"),
            std::string::npos)
      << r.html;
  // Rule "firing" with health "nodata" (fires on no data): firing, no data.
  EXPECT_NE(r.html.find("<td>Kubelet metrics missing</td><td><span class=\"vitrine-state "
                        "vitrine-state-firing vitrine-health-nodata\">Firing (no data)</span>"),
            std::string::npos)
      << r.html;
  // Firing because of an evaluation error.
  EXPECT_NE(r.html.find("Firing (error)"), std::string::npos);
  // "Normal (NoData)": normal, but the reader learns there is no data.
  EXPECT_NE(r.html.find("<td>Memory pressure</td><td><span class=\"vitrine-state "
                        "vitrine-state-normal vitrine-health-nodata\">Normal (no data)</span>"),
            std::string::npos)
      << r.html;
  EXPECT_NE(r.html.find("Normal (paused)"), std::string::npos);
  EXPECT_NE(r.html.find("Recovering"), std::string::npos);
  // A normal instance's activeAt is Grafana's zero time: shown as a dash.
  EXPECT_EQ(r.html.find("0001-01-01"), std::string::npos);
}

TEST_F(AlertList, DefaultStatesHideNormal) {
  const Rendered r = render("alert_list", "alert-list", {});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(r.html.find("Node disk almost full"), std::string::npos);
  EXPECT_NE(r.html.find("Checkout high latency"), std::string::npos);
  // Only the firing instance of the latency rule, not its normal one.
  EXPECT_EQ(count(r.html, "<td>Checkout high latency</td>"), 1u);
}

TEST_F(AlertList, LabelMatchers) {
  Rendered r = render("alert_list", "alert-list",
                      {{"states", "firing,pending,normal,nodata,error"},
                       {"labels", "team=\"platform\", instance=~\"node-(a|b):9100\""}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(count(r.html, "<td>Node disk almost full</td>"), 2u) << r.html;
  EXPECT_EQ(r.html.find("Checkout"), std::string::npos);

  reset_fake();
  // Anchored: "node" alone does not match "node-a:9100".
  r = render("alert_list", "alert-list", {{"states", "normal"}, {"labels", "instance=~\"node\""}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_NE(r.html.find("all filtered out"), std::string::npos) << r.html;

  reset_fake();
  r = render("alert_list", "alert-list", {{"labels", "team!=\"payments\""}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(r.html.find("Checkout"), std::string::npos);
  EXPECT_NE(r.html.find("Kubelet"), std::string::npos);
}

TEST_F(AlertList, BadRegexIsAClearParameterError) {
  const Rendered r = render("alert_list", "alert-list", {{"labels", "team=~\"(unclosed\""}});
  EXPECT_EQ(r.status, VITRINE_E_INVALID);
  EXPECT_NE(r.error.find("not a valid regular expression"), std::string::npos) << r.error;
  EXPECT_TRUE(fake().urls.empty());
}

TEST_F(AlertList, OverlongRegexIsRefused) {
  const Rendered r =
      render("alert_list", "alert-list", {{"labels", "team=~\"" + std::string(300, 'a') + "\""}});
  EXPECT_EQ(r.status, VITRINE_E_INVALID);
  EXPECT_NE(r.error.find("longer than"), std::string::npos) << r.error;
}

TEST_F(AlertList, FolderByTitleOrUid) {
  Rendered a = render("alert_list", "alert-list", {{"folder", "platform"}});
  reset_fake();
  Rendered b = render("alert_list", "alert-list", {{"folder", "fld-platform"}});
  ASSERT_EQ(a.status, VITRINE_OK);
  EXPECT_EQ(a.html, b.html);
  EXPECT_EQ(a.html.find("Checkout"), std::string::npos);
  EXPECT_NE(a.html.find("Kubelet"), std::string::npos);
}

TEST_F(AlertList, NoAlertsDiffersFromAllFilteredOut) {
  fake().bodies[kRulesPath] = R"J({"status":"success","data":{"groups":[]}})J";
  Rendered r = render("alert_list", "alert-list", {});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_NE(r.html.find("No alerts"), std::string::npos) << r.html;

  reset_fake();
  r = render("alert_list", "alert-list", {{"severity", "high"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_NE(r.html.find("11 alerts, all filtered out"), std::string::npos) << r.html;
}

TEST_F(AlertList, MaxItemsSaysHowManyMore) {
  const Rendered r = render("alert_list", "alert-list", {{"max_items", "2"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(count(r.html, "<tr class=\"vitrine-alert "), 2u);
  EXPECT_NE(r.html.find("and 5 more"), std::string::npos) << r.html;
}

TEST_F(AlertList, BadgeStatuses) {
  Rendered r = render("alert_list", "alert-badge", {});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_NE(r.html.find(">Firing<"), std::string::npos) << r.html;

  reset_fake();
  r = render("alert_list", "alert-badge", {{"labels", "alertname=\"Node disk almost full\""}});
  EXPECT_NE(r.html.find(">Healthy<"), std::string::npos) << r.html;

  reset_fake();
  r = render("alert_list", "alert-badge", {{"labels", "alertname=\"Checkout error budget burn\""}});
  EXPECT_NE(r.html.find(">Degraded<"), std::string::npos) << r.html;

  reset_fake();
  r = render("alert_list", "alert-badge", {{"labels", "alertname=\"Payment provider no data\""}});
  EXPECT_NE(r.html.find(">No data<"), std::string::npos) << r.html;

  reset_fake();
  r = render("alert_list", "alert-badge", {{"labels", "team=\"nobody\""}});
  EXPECT_NE(r.html.find(">Unknown<"), std::string::npos) << r.html;
}

TEST_F(AlertList, BadgeNeedsTheLicenseFeature) {
  fake().licensed = false;
  Rendered r = render("alert_list", "alert-badge", {});
  EXPECT_EQ(r.status, VITRINE_E_NOT_LICENSED);
  EXPECT_NE(r.error.find("not licensed"), std::string::npos) << r.error;
  EXPECT_TRUE(r.html.empty());
  EXPECT_TRUE(fake().urls.empty());
  // A failing license capability is not a licence either (fail closed).
  reset_fake();
  fake().licensed = std::nullopt;
  r = render("alert_list", "alert-badge", {});
  EXPECT_EQ(r.status, VITRINE_E_NOT_LICENSED);
}

TEST_F(AlertList, XssInRuleNamesLabelsAndRunbooksComesOutInert) {
  fake().bodies[kRulesPath] = R"J({"status":"success","data":{"groups":[{"name":"g",
    "file":"<script>alert('folder')</script>","rules":[{"state":"firing","name":"<script>alert(1)</script>",
    "health":"ok","type":"alerting","labels":{"severity":"critical\" onmouseover=\"x"},
    "annotations":{"summary":"<img src=x onerror=alert(2)>","runbook_url":"javascript:alert(3)"},
    "alerts":[{"labels":{"team":"\"><svg onload=alert(4)>"},"annotations":{"runbook_url":" javascript:alert(5)"},
    "state":"Alerting","activeAt":"2024-06-03T09:00:00Z"}]}]}]}})J";
  const Rendered r = render("alert_list", "alert-list", {});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(r.html.find("<script"), std::string::npos);
  EXPECT_EQ(r.html.find("<img"), std::string::npos);
  EXPECT_EQ(r.html.find("<svg"), std::string::npos);
  EXPECT_EQ(r.html.find("\" onmouseover"), std::string::npos);
  EXPECT_EQ(r.html.find("href=\"javascript"), std::string::npos);
  EXPECT_EQ(r.html.find("href=\" javascript"), std::string::npos);
}

TEST_F(AlertList, GrafanaErrorEnvelopeIsReported) {
  fake().bodies[kRulesPath] =
      R"J({"status":"error","errorType":"bad_data","error":"invalid state filter"})J";
  const Rendered r = render("alert_list", "alert-list", {});
  EXPECT_EQ(r.status, VITRINE_E_UPSTREAM);
  EXPECT_NE(r.error.find("invalid state filter"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace vitrine::test
