// The dashboard-library macro against the simulator's search and dashboard
// fixtures: what it lists, how its filters reach Grafana's search, the
// bound on its per-dashboard requests, and its failures.
#include <gtest/gtest.h>

#include "fake_host.h"

namespace vitrine::test {
namespace {

class DashboardLibrary : public ::testing::Test {
 protected:
  void SetUp() override {
#ifndef VITRINE_FAKE_HOST_SEARCH
    GTEST_SKIP() << "built without the Grafana simulator (VITRINE_NO_TOOLS): no /api/search";
#endif
    reset_fake();
  }
  static Rendered library(const std::map<std::string, std::string>& params) {
    return render("dashboard", "dashboard-library", params);
  }
  static size_t count(const std::string& html, const std::string& needle) {
    size_t n = 0;
    for (size_t at = html.find(needle); at != std::string::npos; at = html.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }
};

TEST_F(DashboardLibrary, ListsEveryDashboardWithItsPanelsAsLinksOnTheSpacesGrafana) {
  const Rendered r = library({});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(r.ttl_s, 300u);
  expect_golden("dashboard-library-all", r.html);
  EXPECT_NE(r.html.find(">5 dashboards<"), std::string::npos) << r.html;
  EXPECT_NE(r.html.find("href=\"https://acme.grafana.net/d/svc-checkout/checkout-service\""),
            std::string::npos);
  EXPECT_NE(r.html.find("href=\"https://acme.grafana.net/d/svc-checkout/"
                        "checkout-service?viewPanel=2\""),
            std::string::npos);
  EXPECT_NE(r.html.find(">Request latency p95</a>"), std::string::npos);
  // Repeat clones are not panels an author placed: node-overview's panel 5 is not listed.
  EXPECT_EQ(r.html.find("node-overview?viewPanel=5"), std::string::npos);
  EXPECT_NE(r.html.find("node-overview/node-overview?viewPanel=11"), std::string::npos);
  // Legacy rows are read too.
  EXPECT_NE(r.html.find("legacy-batch-jobs?viewPanel=3"), std::string::npos);
  // The General folder has no folder fields in Grafana's search answer.
  EXPECT_NE(r.html.find(">Home overview</a> <span class=\"vitrine-dashboard-folder\">General<"),
            std::string::npos);
  // P3: one search and one read per dashboard, all inside grafana:read:dashboards.
  ASSERT_EQ(fake().urls.size(), 6u);
  EXPECT_EQ(fake().urls[0], std::string(kBaseUrl) + "/api/search?type=dash-db");
  for (size_t i = 1; i < fake().urls.size(); ++i) {
    EXPECT_EQ(fake().urls[i].rfind(std::string(kBaseUrl) + "/api/dashboards/uid/", 0), 0u);
  }
  EXPECT_TRUE(fake().scope_violations.empty());
}

TEST_F(DashboardLibrary, NothingFoundSaysNoDashboardsMatchAndNamesTheFilters) {
  const Rendered r = library({{"query", "no such dashboard"}, {"tag", "prod"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_NE(r.html.find("No dashboards match search &quot;no such dashboard&quot; and tag "
                        "&quot;prod&quot;."),
            std::string::npos)
      << r.html;
  EXPECT_EQ(r.html.find("vitrine-library-dashboards"), std::string::npos);
  EXPECT_EQ(fake().urls.size(), 1u);
}

TEST_F(DashboardLibrary, QueryIsGrafanasSearchTextAndFiltersTheList) {
  const Rendered r = library({{"query", "checkout"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_NE(r.html.find(">1 dashboard<"), std::string::npos) << r.html;
  EXPECT_NE(r.html.find(">Checkout service</a>"), std::string::npos);
  EXPECT_EQ(r.html.find("Node overview"), std::string::npos);
  ASSERT_EQ(fake().urls.size(), 2u);
  EXPECT_EQ(fake().urls[0], std::string(kBaseUrl) + "/api/search?type=dash-db&query=checkout");
}

TEST_F(DashboardLibrary, TagsGoToGrafanaAndFolderMatchesTitleOrUid) {
  Rendered r = library({{"tag", "platform,nodes"}, {"panels", "false"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(fake().urls.at(0),
            std::string(kBaseUrl) + "/api/search?type=dash-db&tag=platform&tag=nodes");
  EXPECT_NE(r.html.find(">Node overview</a>"), std::string::npos) << r.html;
  EXPECT_EQ(count(r.html, "vitrine-library-dashboard-link"), 1u);

  for (const std::string folder : {"payments", "fld-payments"}) {
    reset_fake();
    r = library({{"folder", folder}, {"panels", "false"}});
    ASSERT_EQ(r.status, VITRINE_OK) << r.error;
    EXPECT_EQ(count(r.html, "vitrine-library-dashboard-link"), 2u) << folder << r.html;
    EXPECT_NE(r.html.find(">Checkout service</a>"), std::string::npos);
  }
  reset_fake();
  r = library({{"folder", "General"}, {"panels", "false"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(count(r.html, "vitrine-library-dashboard-link"), 1u) << r.html;
  EXPECT_NE(r.html.find(">Home overview</a>"), std::string::npos);
}

TEST_F(DashboardLibrary, MaxDashboardsBoundsTheRequestsAndSaysHowManyMore) {
  const Rendered r = library({{"max_dashboards", "2"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(count(r.html, "vitrine-library-dashboard-link"), 2u);
  EXPECT_NE(r.html.find(">5 dashboards<"), std::string::npos) << r.html;
  EXPECT_NE(r.html.find("and 3 more dashboards; narrow the list with query, folder or tag"),
            std::string::npos)
      << r.html;
  // The N+1 cost is bounded: the search and the two dashboards listed.
  EXPECT_EQ(fake().urls.size(), 3u);
}

TEST_F(DashboardLibrary, MaxDashboardsOutsideItsRangeIsRefusedByTheManifest) {
  const Rendered r = library({{"max_dashboards", "51"}});
  EXPECT_EQ(r.status, VITRINE_E_INVALID);
  EXPECT_TRUE(fake().urls.empty());
}

TEST_F(DashboardLibrary, MaxPanelsCutsEachDashboardsPanelList) {
  const Rendered r = library({{"query", "checkout"}, {"max_panels", "2"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(count(r.html, "vitrine-library-panel-link"), 2u) << r.html;
  EXPECT_NE(r.html.find("and 5 more panels"), std::string::npos) << r.html;
}

TEST_F(DashboardLibrary, PanelsFalseListsDashboardsWithOneRequest) {
  const Rendered r = library({{"panels", "false"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(count(r.html, "vitrine-library-dashboard-link"), 5u);
  EXPECT_EQ(r.html.find("viewPanel"), std::string::npos);
  EXPECT_EQ(fake().urls.size(), 1u);
}

TEST_F(DashboardLibrary, Upstream403ShowsThePluginsErrorAndNoHtml) {
  fake().fault = Fault::kHttp403;
  const Rendered r = library({});
  EXPECT_EQ(r.status, VITRINE_E_UPSTREAM);
  EXPECT_NE(r.error.find("the space's Grafana token was refused (HTTP 403); a space admin must "
                         "set a valid token"),
            std::string::npos)
      << r.error;
  EXPECT_TRUE(r.html.empty());
}

TEST_F(DashboardLibrary, ADashboardGoneSinceTheSearchIsNotedAndTheOthersListed) {
  fake().bodies["/api/search"] =
      R"J([{"uid":"gone","title":"Gone","type":"dash-db","url":"/d/gone/gone","tags":[]},)J"
      R"J({"uid":"general-home","title":"Home overview","type":"dash-db",)J"
      R"J("url":"/d/general-home/home-overview","tags":[]}])J";
  const Rendered r = library({});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_NE(r.html.find("Panels not listed: Grafana no longer has this dashboard (HTTP 404)."),
            std::string::npos)
      << r.html;
  EXPECT_NE(r.html.find("home-overview?viewPanel=1"), std::string::npos) << r.html;
}

TEST_F(DashboardLibrary, LinksComeOnlyFromPlainPathsOnTheSpacesGrafana) {
  fake().bodies["/api/search"] =
      R"J([{"uid":"a1","title":"A","type":"dash-db","url":"javascript:alert(1)"},)J"
      R"J({"uid":"b2","title":"B","type":"dash-db","url":"//evil.example/d/b2"},)J"
      R"J({"uid":"c3","title":"C","type":"dash-db","url":"/d/c3/c?orgId=2"},)J"
      R"J({"uid":"../x","title":"D","type":"dash-db","url":"/d/x"},)J"
      R"J({"uid":"f","title":"F","type":"dash-folder","url":"/dashboards/f/f"}])J";
  const Rendered r = library({{"panels", "false"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(r.html.find("javascript:"), std::string::npos) << r.html;
  EXPECT_EQ(r.html.find("evil.example"), std::string::npos) << r.html;
  EXPECT_NE(r.html.find("href=\"https://acme.grafana.net/d/a1\""), std::string::npos) << r.html;
  EXPECT_NE(r.html.find("href=\"https://acme.grafana.net/d/c3\""), std::string::npos) << r.html;
  // A hit without a valid uid, and folders, are not dashboards to link.
  EXPECT_EQ(count(r.html, "vitrine-library-dashboard-link"), 3u) << r.html;
}

TEST_F(DashboardLibrary, XssProbeComesOutInert) {
  const Rendered r = library({{"query", "probe"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(r.html.find("<script"), std::string::npos);
  EXPECT_EQ(r.html.find("<img"), std::string::npos);
  EXPECT_EQ(r.html.find("<b>"), std::string::npos);
  EXPECT_NE(r.html.find("&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;"), std::string::npos)
      << r.html;
}

}  // namespace
}  // namespace vitrine::test
