// Operations endpoints: liveness, readiness, Prometheus metrics with the
// server's own request series; the access log never holds credentials.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "log/log.h"
#include "server_fixture.h"

namespace vitrine::testing {
namespace {

using Ops = ServerFixture;

TEST_F(Ops, HealthzAndReadyzNeedNoAuth) {
  auto h = send("GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok\n");
  auto r = send("GET", "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"ready\":true"), std::string::npos) << r.body;
  // The fixture approves every bundled plugin: the four renderers and hello.
  EXPECT_NE(r.body.find("\"plugins_running\":5"), std::string::npos) << r.body;
}

TEST_F(Ops, MetricsInPrometheusTextFormat) {
  send("GET", "/healthz");
  send("GET", "/api/v1/spaces/alpha", {{"Authorization", "Bearer " + alpha_viewer_}});
  auto m = send("GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("# TYPE vitrine_http_requests_total counter"), std::string::npos);
  EXPECT_NE(m.body.find("# TYPE vitrine_http_request_duration_seconds histogram"),
            std::string::npos);
  EXPECT_NE(m.body.find("route=\"/healthz\""), std::string::npos) << m.body;
  // Route templates, never raw paths with ids, label the series.
  EXPECT_NE(m.body.find("route=\"/api/v1/spaces/{space}\""), std::string::npos);
  EXPECT_EQ(m.body.find("/api/v1/spaces/alpha"), std::string::npos);
  EXPECT_NE(m.body.find("vitrine_http_request_duration_seconds_bucket{"), std::string::npos);
}

TEST_F(Ops, MetricsNeedTheScrapeTokenWhenOneIsConfigured) {
  const std::string token(40, 'm');
  server_->stop();
  server::ServerOptions so = server::options_from_config(config_);
  so.port = 0;
  so.max_threads = 4;
  so.metrics_token = token;
  server_ = std::make_unique<server::Server>(*rt_, *engine_, so);
  server_->start();

  auto none = send("GET", "/metrics");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("www-authenticate"), "Bearer realm=\"vitrine-metrics\"");
  EXPECT_EQ(none.body.find("vitrine_http_requests_total"), std::string::npos);
  // Neither a near miss nor an admin API token is the scrape credential.
  EXPECT_EQ(send("GET", "/metrics", {{"Authorization", "Bearer " + token + "x"}}).status, 401);
  EXPECT_EQ(send("GET", "/metrics", {{"Authorization", "Bearer " + platform_}}).status, 401);
  auto ok = send("GET", "/metrics", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("vitrine_http_requests_total"), std::string::npos);
  EXPECT_EQ(send("GET", "/healthz").status, 200);  // liveness stays open
}

TEST_F(Ops, P4_AccessLogHasNoCredentialsOrQueryValues) {
  std::mutex mu;
  std::vector<std::string> lines;
  log::set_sink([&](const std::string& line) {
    std::lock_guard lock(mu);
    lines.push_back(line);
  });
  const std::string cookie = login(alpha_viewer_);
  send("GET", "/api/v1/spaces/alpha/audit?since=secret-value",
       {{"Authorization", "Bearer " + alpha_admin_}, {"Cookie", cookie}});
  std::lock_guard lock(mu);
  bool saw_access = false;
  for (const auto& l : lines) {
    EXPECT_EQ(l.find("vtr_"), std::string::npos) << l;
    EXPECT_EQ(l.find(cookie.substr(cookie.find('=') + 1)), std::string::npos) << l;
    EXPECT_EQ(l.find("secret-value"), std::string::npos) << l;
    if (l.find("\"http.request\"") != std::string::npos &&
        l.find("/api/v1/spaces/{space}/audit") != std::string::npos) {
      saw_access = true;
    }
  }
  EXPECT_TRUE(saw_access);
}

TEST_F(Ops, StylesheetIsServed) {
  auto r = send("GET", "/static/vitrine.css");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/css; charset=utf-8");
}

}  // namespace
}  // namespace vitrine::testing
