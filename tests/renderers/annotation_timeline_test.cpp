// The annotation_timeline plugin against annotations.json.
#include <gtest/gtest.h>

#include "fake_host.h"

namespace vitrine::test {
namespace {

class Timeline : public ::testing::Test {
 protected:
  void SetUp() override { reset_fake(); }
};

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST(TimelineGolden, CasesMatchGolden) {
  struct Case {
    std::string name;
    std::map<std::string, std::string> params;
    std::string tz = "UTC";
  };
  const std::vector<Case> cases = {
      {"timeline-default-week", {}},
      {"timeline-checkout-deploys",
       {{"dashboard_uid", "svc-checkout"}, {"tags", "deploy"}, {"from", "now-30d"}}},
      {"timeline-all-berlin", {{"from", "2019-01-01T00:00:00Z"}, {"timezone", "Europe/Berlin"}}},
      {"timeline-empty", {{"tags", "nothing-has-this"}}},
  };
  for (const auto& c : cases) {
    reset_fake();
    const Rendered r = render("annotation_timeline", "annotation-timeline", c.params, c.tz);
    ASSERT_EQ(r.status, VITRINE_OK) << c.name << ": " << r.error;
    EXPECT_EQ(r.ttl_s, 120u);
    expect_golden(c.name, r.html);
    ASSERT_EQ(fake().urls.size(), 1u);
    EXPECT_EQ(fake().urls[0].rfind(std::string(kBaseUrl) + "/api/annotations?", 0), 0u);
    EXPECT_TRUE(fake().scope_violations.empty());
  }
}

TEST_F(Timeline, QueryCarriesTheFilters) {
  const Rendered r = render("annotation_timeline", "annotation-timeline",
                            {{"dashboard_uid", "svc-checkout"},
                             {"panel_id", "2"},
                             {"tags", "deploy,prod"},
                             {"tag_match", "all"},
                             {"max_events", "7"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  ASSERT_EQ(fake().urls.size(), 1u);
  EXPECT_EQ(fake().urls[0], std::string(kBaseUrl) +
                                "/api/annotations?from=1716804300000&to=1717409100000&limit=7&"
                                "dashboardUID=svc-checkout&panelId=2&tags=deploy&tags=prod");
}

TEST_F(Timeline, PointsAndRegionsAndOldAnnotationsWithoutTimeEnd) {
  const Rendered r =
      render("annotation_timeline", "annotation-timeline", {{"from", "2019-01-01T00:00:00Z"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_GT(count(r.html, "<rect class=\"vitrine-timeline-region\""), 2u);
  EXPECT_GT(count(r.html, "<circle class=\"vitrine-timeline-point\""), 4u);
  EXPECT_NE(r.html.find("Migrated from Graphite"), std::string::npos);
  EXPECT_EQ(count(r.html, "<tr class=\"vitrine-timeline-"), 12u);
}

TEST_F(Timeline, TagMatchAnyAndAll) {
  Rendered any = render("annotation_timeline", "annotation-timeline",
                        {{"from", "2019-01-01T00:00:00Z"}, {"tags", "deploy,incident"}});
  ASSERT_EQ(any.status, VITRINE_OK) << any.error;
  EXPECT_EQ(count(any.html, "<tr class=\"vitrine-timeline-"), 5u) << any.html;
  reset_fake();
  Rendered all =
      render("annotation_timeline", "annotation-timeline",
             {{"from", "2019-01-01T00:00:00Z"}, {"tags", "deploy,checkout"}, {"tag_match", "all"}});
  ASSERT_EQ(all.status, VITRINE_OK) << all.error;
  EXPECT_EQ(count(all.html, "<tr class=\"vitrine-timeline-"), 2u) << all.html;
}

TEST_F(Timeline, MaxEventsKeepsTheNewest) {
  const Rendered r = render("annotation_timeline", "annotation-timeline",
                            {{"from", "2019-01-01T00:00:00Z"}, {"max_events", "2"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(count(r.html, "<tr class=\"vitrine-timeline-"), 2u);
  EXPECT_NE(r.html.find("Kubelet metrics missing"), std::string::npos);
  EXPECT_NE(r.html.find("Showing the newest 2 events"), std::string::npos);
}

TEST_F(Timeline, BadRangesAndPanelWithoutDashboardAreRefused) {
  Rendered r =
      render("annotation_timeline", "annotation-timeline", {{"from", "now"}, {"to", "now-1d"}});
  EXPECT_EQ(r.status, VITRINE_E_INVALID);
  EXPECT_NE(r.error.find("ends before it starts"), std::string::npos) << r.error;
  r = render("annotation_timeline", "annotation-timeline", {{"from", "last tuesday"}});
  EXPECT_EQ(r.status, VITRINE_E_INVALID);
  r = render("annotation_timeline", "annotation-timeline", {{"panel_id", "2"}});
  EXPECT_EQ(r.status, VITRINE_E_INVALID);
  EXPECT_NE(r.error.find("needs 'dashboard_uid'"), std::string::npos) << r.error;
  EXPECT_TRUE(fake().urls.empty());
}

TEST_F(Timeline, XssInTextAndTagsComesOutInert) {
  const Rendered r =
      render("annotation_timeline", "annotation-timeline", {{"dashboard_uid", "xss-probe"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(r.html.find("<script"), std::string::npos);
  EXPECT_EQ(r.html.find("<i>"), std::string::npos);
  EXPECT_NE(r.html.find("&lt;script&gt;alert(&#39;annotation&#39;)&lt;/script&gt;"),
            std::string::npos)
      << r.html;
}

}  // namespace
}  // namespace vitrine::test
