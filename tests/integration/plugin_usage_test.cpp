// The least-privilege report through the real binaries (docs/admin.md,
// "Least-privilege report"): `vitrine serve` renders a page with the
// alert_list plugin against the Grafana simulator, then `vitrine plugins
// usage`, `plugins approve --show-diff` and GET /api/v1/plugins/{id}/usage
// read the audit rows that render wrote.
#include <gmock/gmock.h>

#include <regex>

#include "serve_process.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace vitrine::testing {
namespace {

class PluginUsage : public ServedHost {};

// The request count the text report prints for `scope`, or -1.
long requests_of(const std::string& text, const std::string& scope) {
  std::smatch m;
  const std::regex line("\\n  " + scope + "  ([0-9]+) requests");
  return std::regex_search(text, m, line) ? std::stol(m[1]) : -1;
}

TEST_F(PluginUsage, LeastPrivilege_UsedScopeCountedUnusedScopeNamed) {
  start_server();
  const std::string admin = create_token("platform-admin");
  Http page = http(port_, "POST", "/api/v1/spaces/demo/render", admin,
                   "{\"markdown\": \"```alert-list\\nmax_items: 5\\n```\\n\"}");
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_THAT(page.body, Not(HasSubstr("egress-"))) << page.body;

  auto r = run(cli() + " plugins usage alert_list --space demo");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_GT(requests_of(r.output, "grafana:read:alerts"), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("https://*.grafana.net (customer-managed)")) << r.output;
  EXPECT_THAT(r.output, HasSubstr("    https://demo.grafana.net")) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("scope grafana:read:alerts: never used"))) << r.output;
  EXPECT_THAT(r.output, HasSubstr("every declared scope and egress entry was used"));

  r = run(cli() + " plugins usage alert_list --space demo --since 1h --format json");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("{\"scope\":\"grafana:read:alerts\",\"visible\":true"));
  EXPECT_THAT(r.output, Not(HasSubstr("\"used\":false"))) << r.output;

  // Nothing rendered a dashboard: its only scope and entry are named unused.
  r = run(cli() + " plugins usage dashboard --space demo");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(requests_of(r.output, "grafana:read:dashboards"), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("scope grafana:read:dashboards: never used in the whole "
                                  "audit log"));
  EXPECT_THAT(r.output, HasSubstr("egress entry https://*.grafana.net: never used"));

  // Another space's rows are not this space's use.
  r = run(cli() + " plugins usage alert_list --space elsewhere");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(requests_of(r.output, "grafana:read:alerts"), 0) << r.output;

  // approve --show-diff shows what the running version never used.
  r = run(cli() + " plugins approve dashboard --show-diff");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("usage of running 1.1.0"));
  EXPECT_THAT(r.output, HasSubstr("  scope grafana:read:dashboards: never used"));

  // The API answers the same report to a platform admin only.
  Http api = http(port_, "GET", "/api/v1/plugins/alert_list/usage?space=demo&since=1h", admin);
  ASSERT_EQ(api.status, 200) << api.body;
  EXPECT_THAT(api.body, HasSubstr("\"plugin\":\"alert_list\""));
  EXPECT_THAT(api.body, HasSubstr("\"origin\":\"https://demo.grafana.net"));
  EXPECT_THAT(api.body, Not(HasSubstr("\"used\":false"))) << api.body;
  EXPECT_EQ(http(port_, "GET", "/api/v1/plugins/dashboard/usage?since=soon", admin).status, 400);
  EXPECT_EQ(http(port_, "GET", "/api/v1/plugins/nope/usage", admin).status, 404);
  const std::string viewer = create_token("viewer:demo");
  EXPECT_EQ(http(port_, "GET", "/api/v1/plugins/alert_list/usage", viewer).status, 403);
}

TEST_F(PluginUsage, LeastPrivilege_ExitStatusUnknownPluginAndUsageError) {
  auto r = run(cli() + " plugins usage no_such_plugin");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no plugin 'no_such_plugin' is installed"));
  r = run(cli() + " plugins usage alert_list --since yesterday");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--since 'yesterday' is not understood"));
  EXPECT_EQ(run(cli() + " plugins usage alert_list --format xml").status, 2);
  EXPECT_EQ(run(cli() + " plugins usage").status, 2);
}

}  // namespace
}  // namespace vitrine::testing
