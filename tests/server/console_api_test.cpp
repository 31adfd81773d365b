// The admin endpoints the console shares with the CLI (docs/api.md): audit
// newest first with filters, spaces create and connect, admin tokens, the
// license install's refusal, and the console's CSRF and confirmation rules.
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>

#include "server_fixture.h"
#include "store/audit.h"

namespace vitrine::testing {
namespace {

class ConsoleApi : public ServerFixture {};

std::vector<int64_t> ids_of(const std::string& json) {
  std::vector<int64_t> out;
  static const std::regex re(R"re(\{"id":(\d+),)re");
  for (std::sregex_iterator it(json.begin(), json.end(), re), end; it != end; ++it) {
    out.push_back(std::stoll((*it)[1]));
  }
  return out;
}

TEST_F(ConsoleApi, AuditApiLimitKeepsTheNewestRowsNewestFirst) {
  for (const char* key : {"ord-a", "ord-b", "ord-c"}) {
    auto r = api("POST", "/api/v1/spaces", platform_, std::string("{\"key\":\"") + key + "\"}");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  auto r = api("GET", "/api/v1/audit?action=space.create&limit=2", platform_);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto ids = ids_of(r.body);
  ASSERT_EQ(ids.size(), 2u) << r.body;
  EXPECT_GT(ids[0], ids[1]);
  EXPECT_NE(r.body.find("\"subject\":\"ord-c\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"subject\":\"ord-b\""), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("\"subject\":\"ord-a\""), std::string::npos) << r.body;
  // The next page continues below the last id.
  auto next =
      api("GET", "/api/v1/audit?action=space.create&limit=2&before=" + std::to_string(ids[1]),
          platform_);
  EXPECT_NE(next.body.find("\"subject\":\"ord-a\""), std::string::npos) << next.body;
}

// `vitrine audit --limit N` keeps the N newest rows too, the same as the API.
TEST_F(ConsoleApi, AuditCliLimitKeepsTheNewestRowsLikeTheApi) {
  for (const char* key : {"cli-a", "cli-b", "cli-c"}) {
    ASSERT_EQ(
        api("POST", "/api/v1/spaces", platform_, std::string("{\"key\":\"") + key + "\"}").status,
        200);
  }
  const std::string cmd = std::string(VITRINE_CLI) + " --data-dir " + config_.data_dir.string() +
                          " audit --action space.create --limit 2 --format json 2>/dev/null";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ASSERT_EQ(::pclose(p), 0) << out;
  auto api_rows = api("GET", "/api/v1/audit?action=space.create&limit=2", platform_);
  EXPECT_EQ(ids_of(out), ids_of(api_rows.body)) << out;
  EXPECT_NE(out.find("\"subject\":\"cli-c\""), std::string::npos) << out;
  EXPECT_EQ(out.find("\"subject\":\"cli-a\""), std::string::npos) << out;
}

TEST_F(ConsoleApi, AuditApiFiltersByActorAndRefusesMalformedTimes) {
  ASSERT_EQ(api("POST", "/api/v1/spaces", platform_, R"({"key":"by-actor"})").status, 200);
  auto all = api("GET", "/api/v1/audit?action=space.create", platform_);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(all.body, m, std::regex(R"re("who":"(api:t[0-9a-f]+)")re")));
  auto mine = api("GET", "/api/v1/audit?actor=" + m[1].str(), platform_);
  ASSERT_EQ(mine.status, 200);
  const std::string actor = m[1];
  static const std::regex who(R"re("who":"([^"]*)")re");
  int rows = 0;
  for (std::sregex_iterator it(mine.body.begin(), mine.body.end(), who), end; it != end; ++it) {
    EXPECT_EQ((*it)[1].str(), actor);
    ++rows;
  }
  EXPECT_GE(rows, 1) << mine.body;
  auto bad = api("GET", "/api/v1/audit?until=yesterday", platform_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("'until'"), std::string::npos) << bad.body;
  // Platform-wide rows are for platform admins only.
  EXPECT_EQ(api("GET", "/api/v1/audit", alpha_admin_).status, 403);
}

TEST_F(ConsoleApi, SpacesApiCreatesOnceAndOnlyForPlatformAdmins) {
  EXPECT_EQ(api("POST", "/api/v1/spaces", platform_, R"({"key":"made-here","name":"M"})").status,
            200);
  EXPECT_EQ(api("POST", "/api/v1/spaces", platform_, R"({"key":"made-here"})").status, 409);
  EXPECT_EQ(api("POST", "/api/v1/spaces", platform_, R"({"key":"Bad Key"})").status, 400);
  EXPECT_EQ(api("POST", "/api/v1/spaces", alpha_admin_, R"({"key":"not-mine"})").status, 403);
  // Connect: an origin no approved plugin declares is denied with what to do.
  auto denied = api("POST", "/api/v1/spaces/made-here/connect", platform_,
                    R"({"origin":"https://grafana.example.org"})");
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_NE(denied.body.find("--customer-managed"), std::string::npos) << denied.body;
  auto ok = api("POST", "/api/v1/spaces/made-here/connect", platform_,
                R"({"origin":"https://made-here.grafana.net"})");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("\"token_removed\":false"), std::string::npos) << ok.body;
  EXPECT_EQ(api("POST", "/api/v1/spaces/alpha/connect", alpha_admin_,
                R"({"origin":"https://alpha.grafana.net"})")
                .status,
            403);
}

TEST_F(ConsoleApi, TokensApiShowsTheTokenOnceAndRevokes) {
  auto created = api("POST", "/api/v1/tokens", platform_,
                     R"({"role":"viewer:alpha","name":"reader","expires_in_days":2})");
  ASSERT_EQ(created.status, 200) << created.body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(created.body, m, std::regex(R"re("token":"(vtr_[^"]+)")re")));
  const std::string token = m[1];
  ASSERT_TRUE(std::regex_search(created.body, m, std::regex(R"re("id":"(t[0-9a-f]+)")re")));
  const std::string id = m[1];
  EXPECT_EQ(api("GET", "/api/v1/spaces", token).status, 200);
  auto list = api("GET", "/api/v1/tokens", platform_);
  EXPECT_EQ(list.body.find(token), std::string::npos) << "the token is never listed";
  EXPECT_NE(list.body.find("\"name\":\"reader\""), std::string::npos);
  EXPECT_EQ(api("DELETE", "/api/v1/tokens/" + id, platform_).status, 200);
  EXPECT_EQ(api("GET", "/api/v1/spaces", token).status, 401);
  EXPECT_EQ(
      api("POST", "/api/v1/tokens", platform_, R"({"role":"viewer:alpha","expires_in_days":0})")
          .status,
      400);
  EXPECT_EQ(api("GET", "/api/v1/tokens", alpha_admin_).status, 403);
}

TEST_F(ConsoleApi, LicenseApiRefusesAnUnverifiableLicenseAndInstallsNothing) {
  auto r = api("PUT", "/api/v1/license", platform_, R"({"payload":"x","signature":"y"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("\"code\":\"license-"), std::string::npos) << r.body;
  EXPECT_FALSE(std::filesystem::exists(config_.data_dir / "license.json"));
  EXPECT_EQ(api("PUT", "/api/v1/license", alpha_admin_, "{}").status, 403);
}

// The Overview's notice for a space whose Grafana token is failing: its
// newest connection test failed, until a new token is set.
TEST_F(ConsoleApi, OverviewNoticesAFailingGrafanaTokenUntilANewOneIsSet) {
  auto set = api("PUT", "/api/v1/spaces/alpha/token", platform_,
                 "{\"token\":\"" + grafana_token('a') + "\"}");
  ASSERT_EQ(set.status, 200) << set.body;
  const std::string cookie = login(platform_);
  const std::string notice = "The Grafana token of space <strong>alpha</strong> is failing";
  EXPECT_EQ(send("GET", "/admin", {{"Cookie", cookie}}).body.find(notice), std::string::npos);
  ASSERT_TRUE(rt_->store()
                  .audit()
                  .record(store::AuditEvent{"ui:t0",
                                            "alpha",
                                            "space.test-connection",
                                            "https://alpha.grafana.net",
                                            "error",
                                            {{"message", "HTTP 401: invalid API key", false}}})
                  .ok());
  auto failing = send("GET", "/admin", {{"Cookie", cookie}});
  EXPECT_NE(failing.body.find(notice), std::string::npos) << failing.body.substr(0, 3000);
  EXPECT_NE(failing.body.find("HTTP 401: invalid API key"), std::string::npos);
  EXPECT_NE(failing.body.find("<li class=\"error\" role=\"alert\">"), std::string::npos);
  // A new token has not failed yet: no notice.
  ASSERT_EQ(api("PUT", "/api/v1/spaces/alpha/token", platform_,
                "{\"token\":\"" + grafana_token('b') + "\"}")
                .status,
            200);
  EXPECT_EQ(send("GET", "/admin", {{"Cookie", cookie}}).body.find(notice), std::string::npos);
}

TEST_F(ConsoleApi, ConsoleDeleteNeedsTheTypedKeyAndTheCsrfToken) {
  ASSERT_EQ(api("POST", "/api/v1/spaces", platform_, R"({"key":"to-go"})").status, 200);
  const std::string cookie = login(platform_);
  const std::string csrf = csrf_of("/admin/spaces", cookie);
  const std::map<std::string, std::string> form_headers = {
      {"Cookie", cookie},
      {"Origin", origin()},
      {"Content-Type", "application/x-www-form-urlencoded"}};
  // No CSRF token: refused, nothing deleted.
  EXPECT_EQ(send("POST", "/admin/spaces/to-go/delete", form_headers, "confirm=to-go").status, 403);
  // A wrong key: back with an error notice, nothing deleted.
  auto wrong =
      send("POST", "/admin/spaces/to-go/delete", form_headers, "csrf=" + csrf + "&confirm=to-g");
  EXPECT_EQ(wrong.status, 303);
  auto page = send("GET", "/admin/spaces", {{"Cookie", cookie}});
  EXPECT_NE(page.body.find("<p class=\"flash error\" role=\"alert\">Space to-go not deleted"),
            std::string::npos)
      << page.body.substr(0, 2000);
  EXPECT_EQ(api("GET", "/api/v1/spaces/to-go", platform_).status, 200);
  // The right key deletes.
  EXPECT_EQ(
      send("POST", "/admin/spaces/to-go/delete", form_headers, "csrf=" + csrf + "&confirm=to-go")
          .status,
      303);
  EXPECT_EQ(api("GET", "/api/v1/spaces/to-go", platform_).status, 404);
}

}  // namespace
}  // namespace vitrine::testing
