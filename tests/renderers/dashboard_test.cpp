// The dashboard plugin against the simulator's dashboard fixtures.
#include <gtest/gtest.h>

#include "fake_host.h"

namespace vitrine::test {
namespace {

class Dashboard : public ::testing::Test {
 protected:
  void SetUp() override { reset_fake(); }
};

TEST(DashboardGolden, EachFixtureCardAndCompactMatchGolden) {
  for (const std::string uid :
       {"svc-checkout", "general-home", "legacy-rows", "node-overview", "xss-probe"}) {
    for (const std::string variant : {"card", "compact"}) {
      reset_fake();
      const Rendered r =
          render("dashboard", "dashboard", {{"dashboard", uid}, {"variant", variant}});
      ASSERT_EQ(r.status, VITRINE_OK) << uid << ": " << r.error;
      EXPECT_EQ(r.ttl_s, 300u);
      expect_golden("dashboard-" + uid + "-" + variant, r.html);
      // P3: one GET, inside grafana:read:dashboards.
      ASSERT_EQ(fake().urls.size(), 1u);
      EXPECT_EQ(fake().urls[0], std::string(kBaseUrl) + "/api/dashboards/uid/" + uid);
      EXPECT_TRUE(fake().scope_violations.empty());
    }
  }
}

TEST_F(Dashboard, CountsPanelsInCollapsedRowsAndNotRowsOrRepeatClones) {
  Rendered r = render("dashboard", "dashboard", {{"dashboard", "svc-checkout"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  // 4 top-level panels + 2 inside the collapsed row + the duplicate-id copy;
  // the two row panels are not counted.
  EXPECT_NE(r.html.find(">7 panels<"), std::string::npos) << r.html;
  EXPECT_NE(r.html.find("Payment provider latency"), std::string::npos);
  EXPECT_NE(r.html.find("(untitled)"), std::string::npos);

  reset_fake();
  r = render("dashboard", "dashboard", {{"dashboard", "node-overview"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  // CPU, Memory, Pod restarts (its repeat clone is skipped), Traffic in/out.
  EXPECT_NE(r.html.find(">5 panels<"), std::string::npos) << r.html;

  reset_fake();
  r = render("dashboard", "dashboard", {{"dashboard", "legacy-rows"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_NE(r.html.find(">3 panels<"), std::string::npos) << r.html;
  EXPECT_NE(r.html.find("Failures"), std::string::npos);
}

TEST_F(Dashboard, MaxPanelsCutsTheTableAndSaysHowManyMore) {
  const Rendered r =
      render("dashboard", "dashboard", {{"dashboard", "svc-checkout"}, {"max_panels", "2"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_NE(r.html.find("and 5 more"), std::string::npos) << r.html;
}

TEST_F(Dashboard, PastedUrlOfTheSpacesGrafanaIsAccepted) {
  const Rendered r =
      render("dashboard", "dashboard",
             {{"dashboard",
               "https://ACME.grafana.net/d/svc-checkout/checkout-service?orgId=1&var-env=prod"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  ASSERT_EQ(fake().urls.size(), 1u);
  EXPECT_EQ(fake().urls[0], std::string(kBaseUrl) + "/api/dashboards/uid/svc-checkout");
}

TEST_F(Dashboard, P1_PastedUrlOfAnotherOriginIsRefusedBeforeAnyFetch) {
  for (const std::string url :
       {"https://evil.example.com/d/svc-checkout/x", "http://acme.grafana.net/d/svc-checkout",
        "https://acme.grafana.net:8443/d/svc-checkout", "https://user@acme.grafana.net/d/a",
        "javascript:alert(1)//d/abc", "https://acme.grafana.net/explore?left=1"}) {
    reset_fake();
    const Rendered r = render("dashboard", "dashboard", {{"dashboard", url}});
    EXPECT_EQ(r.status, VITRINE_E_INVALID) << url;
    EXPECT_FALSE(r.error.empty());
    EXPECT_TRUE(r.html.empty());
    EXPECT_TRUE(fake().urls.empty()) << url;
  }
}

TEST_F(Dashboard, UnknownUidSaysNotFound) {
  const Rendered r = render("dashboard", "dashboard", {{"dashboard", "no-such-dash"}});
  EXPECT_EQ(r.status, VITRINE_E_NOT_FOUND);
  EXPECT_NE(r.error.find("dashboard UID 'no-such-dash' not found"), std::string::npos) << r.error;
  EXPECT_TRUE(r.html.empty());
}

TEST_F(Dashboard, MalformedUidIsRefused) {
  const Rendered r = render("dashboard", "dashboard", {{"dashboard", "../../api/admin"}});
  EXPECT_EQ(r.status, VITRINE_E_INVALID);
  EXPECT_TRUE(fake().urls.empty());
}

TEST_F(Dashboard, XssProbeComesOutInert) {
  const Rendered r = render("dashboard", "dashboard", {{"dashboard", "xss-probe"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(r.html.find("<script"), std::string::npos);
  EXPECT_EQ(r.html.find("<img"), std::string::npos);
  EXPECT_EQ(r.html.find("<b>"), std::string::npos);
  EXPECT_EQ(r.html.find("' \""), std::string::npos);
  EXPECT_NE(r.html.find("&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;"),
            std::string::npos);
}

TEST_F(Dashboard, JavascriptMetaUrlIsNotLinked) {
  fake().bodies["/api/dashboards/uid/evil"] =
      R"J({"dashboard":{"title":"T","panels":[]},"meta":{"url":"javascript:alert(1)"}})J";
  Rendered r = render("dashboard", "dashboard", {{"dashboard", "evil"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(r.html.find("javascript:"), std::string::npos);
  EXPECT_NE(r.html.find("href=\"https://acme.grafana.net/d/evil\""), std::string::npos) << r.html;

  fake().bodies["/api/dashboards/uid/evil"] =
      R"J({"dashboard":{"title":"T","panels":[]},"meta":{"url":"//evil.example/d/x"}})J";
  r = render("dashboard", "dashboard", {{"dashboard", "evil"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(r.html.find("evil.example"), std::string::npos) << r.html;
}

TEST_F(Dashboard, TimezoneChangesTheAsOfTime) {
  Rendered r = render("dashboard", "dashboard", {{"dashboard", "general-home"}}, "Europe/Berlin");
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_NE(r.html.find("as of 2024-06-03 12:05 CEST"), std::string::npos) << r.html;
  reset_fake();
  r = render("dashboard", "dashboard", {{"dashboard", "general-home"}}, "+05:30");
  EXPECT_NE(r.html.find("as of 2024-06-03 15:35 +05:30"), std::string::npos) << r.html;
  reset_fake();
  r = render("dashboard", "dashboard", {{"dashboard", "general-home"}}, "Mars/Olympus_Mons");
  EXPECT_NE(r.html.find("as of 2024-06-03 10:05 UTC"), std::string::npos) << r.html;
  EXPECT_NE(r.html.find("unknown time zone"), std::string::npos) << r.html;
}

}  // namespace
}  // namespace vitrine::test
