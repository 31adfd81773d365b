// Scheduled warming through the JSON API and the settings page
// (docs/api.md#scheduled-warming, docs/freshness.md "Scheduled warming"):
// who may read and set a space's schedule, and refusals that name the rule.
#include <gtest/gtest.h>

#include "server_fixture.h"
#include "store/store.h"
#include "store/warm_schedules.h"

namespace vitrine::testing {
namespace {

using WarmingApi = ServerFixture;

bool has(const std::string& body, const std::string& part) {
  return body.find(part) != std::string::npos;
}

TEST_F(WarmingApi, ASpaceWithoutAScheduleAnswersOff) {
  auto r = api("GET", "/api/v1/spaces/alpha/warming", alpha_admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(has(r.body, "\"mode\":\"off\"")) << r.body;
  EXPECT_TRUE(has(r.body, "\"last_run\":null")) << r.body;
}

TEST_F(WarmingApi, SpaceAdminSetsHourlyAndCustomAndReadsThemBack) {
  auto r = api("PUT", "/api/v1/spaces/alpha/warming", alpha_admin_, R"({"mode":"hourly"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(has(r.body, "\"mode\":\"hourly\"")) << r.body;
  EXPECT_TRUE(has(r.body, "\"interval_s\":3600")) << r.body;
  r = api("PUT", "/api/v1/spaces/alpha/warming", platform_,
          R"({"mode":"custom","interval_s":1800})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = api("GET", "/api/v1/spaces/alpha/warming", alpha_admin_);
  EXPECT_TRUE(has(r.body, "\"schedule\":\"every 30m\"")) << r.body;
  store::AuditQuery q;
  q.space = "alpha";
  q.action_prefix = "warm.schedule";
  EXPECT_EQ(rt_->store().audit().query(q)->size(), 2u);
}

TEST_F(WarmingApi, AViewerMayNotReadOrSetTheSchedule) {
  EXPECT_EQ(api("GET", "/api/v1/spaces/alpha/warming", alpha_viewer_).status, 403);
  auto r = api("PUT", "/api/v1/spaces/alpha/warming", alpha_viewer_, R"({"mode":"hourly"})");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(store::WarmSchedules(rt_->store().context()).get("alpha")->mode, "off");
}

TEST_F(WarmingApi, AnotherSpacesAdminGetsNotFound) {
  auto r = api("PUT", "/api/v1/spaces/alpha/warming", beta_admin_, R"({"mode":"hourly"})");
  EXPECT_EQ(r.status, 404) << r.body;
}

TEST_F(WarmingApi, WarmIntervalRangeAnswers400WithTheRule) {
  auto r = api("PUT", "/api/v1/spaces/alpha/warming", alpha_admin_,
               R"({"mode":"custom","interval_s":60})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(has(r.body, "\"code\":\"warm-interval-range\"")) << r.body;
  EXPECT_TRUE(has(r.body, "5 minutes to 7 days")) << r.body;
}

TEST_F(WarmingApi, WarmModeAnswers400WithTheRule) {
  auto r = api("PUT", "/api/v1/spaces/alpha/warming", alpha_admin_, R"({"mode":"daily"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(has(r.body, "\"code\":\"warm-mode\"")) << r.body;
  r = api("PUT", "/api/v1/spaces/alpha/warming", alpha_admin_, R"({"mode":"custom"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(has(r.body, "interval_s")) << r.body;
}

TEST_F(WarmingApi, SettingsPageSavesTheScheduleWithCsrfAndShowsErrorsAsErrors) {
  const std::string cookie = login(alpha_admin_);
  const std::string csrf = csrf_of("/spaces/alpha/settings", cookie);
  const std::map<std::string, std::string> headers{
      {"Cookie", cookie},
      {"Origin", origin()},
      {"Content-Type", "application/x-www-form-urlencoded"}};
  auto page = send("GET", "/spaces/alpha/settings", {{"Cookie", cookie}});
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(has(page.body, "<h2>Cache warming</h2>")) << page.body;
  EXPECT_TRUE(has(page.body, "<label for=\"warm_minutes\">")) << page.body;
  // Without the CSRF token: refused.
  EXPECT_EQ(send("POST", "/spaces/alpha/settings/warming", headers, "mode=hourly").status, 403);
  auto post = send("POST", "/spaces/alpha/settings/warming", headers,
                   "csrf=" + csrf + "&mode=custom&minutes=45");
  ASSERT_EQ(post.status, 303) << post.body;
  page = send("GET", "/spaces/alpha/settings", {{"Cookie", cookie}});
  EXPECT_TRUE(has(page.body, "Warming schedule saved.")) << page.body;
  EXPECT_TRUE(has(page.body, "every 45m")) << page.body;
  post = send("POST", "/spaces/alpha/settings/warming", headers,
              "csrf=" + csrf + "&mode=custom&minutes=2");
  ASSERT_EQ(post.status, 303);
  page = send("GET", "/spaces/alpha/settings", {{"Cookie", cookie}});
  EXPECT_TRUE(has(page.body, "warm-interval-range")) << page.body;
  EXPECT_EQ(store::WarmSchedules(rt_->store().context()).get("alpha")->interval_s, 45 * 60);
}

}  // namespace
}  // namespace vitrine::testing
