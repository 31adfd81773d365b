// The browser side: login sessions, the CSP on every HTML answer, CSRF
// refusal of cross-origin form posts, the token never rendered back (P4),
// pages and assets per space (P6).
#include <gtest/gtest.h>

#include <fstream>

#include "server_fixture.h"

namespace vitrine::testing {
namespace {

using Ui = ServerFixture;

const char* kCsp =
    "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'self'";

void expect_html_headers(const HttpResult& r, const std::string& what) {
  EXPECT_EQ(r.header("content-type").rfind("text/html", 0), 0u) << what;
  EXPECT_EQ(r.header("content-security-policy"), kCsp) << what;
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << what;
  EXPECT_EQ(r.header("referrer-policy"), "same-origin") << what;
}

TEST_F(Ui, LoginSetsAnOpaqueStrictHttpOnlyCookie) {
  auto r = send("POST", "/login",
                {{"Content-Type", "application/x-www-form-urlencoded"}, {"Origin", origin()}},
                "next=%2Fspaces%2Falpha&token=" + alpha_viewer_);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.header("location"), "/spaces/alpha");
  const std::string cookie = r.header("set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(cookie.find(alpha_viewer_), std::string::npos);
  EXPECT_EQ(cookie.find("vtr_"), std::string::npos);
}

TEST_F(Ui, LoginRefusesUnknownTokenAndOpenRedirect) {
  auto bad = send("POST", "/login", {{"Content-Type", "application/x-www-form-urlencoded"}},
                  "token=vtr_nope");
  EXPECT_EQ(bad.status, 401);
  EXPECT_TRUE(bad.header("set-cookie").empty());
  expect_html_headers(bad, "failed login");
  auto r = send("POST", "/login", {{"Content-Type", "application/x-www-form-urlencoded"}},
                "next=%2F%2Fevil.example&token=" + alpha_viewer_);
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(r.header("location"), "/");
}

TEST_F(Ui, CspOnEveryHtmlResponse) {
  const std::string cookie = login(alpha_admin_);
  std::ofstream(dir_ / "data" / "pages" / "alpha" / "runbook.md") << "# Runbook\n";
  expect_html_headers(send("GET", "/login"), "/login");
  expect_html_headers(send("GET", "/", {{"Cookie", cookie}}), "/");
  expect_html_headers(send("GET", "/spaces/alpha", {{"Cookie", cookie}}), "space index");
  expect_html_headers(send("GET", "/spaces/alpha/settings", {{"Cookie", cookie}}), "settings");
  expect_html_headers(send("GET", "/spaces/beta/settings", {{"Cookie", cookie}}), "other space");
  expect_html_headers(send("GET", "/nothing-here"), "404");
  expect_html_headers(send("POST", "/spaces/alpha/settings/token", {{"Cookie", cookie}}, "x=1"),
                      "csrf refusal");
}

TEST_F(Ui, BrowserRoutesRedirectToLogin) {
  auto r = send("GET", "/spaces/alpha/pages/runbook");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.header("location"), "/login?next=/spaces/alpha/pages/runbook");
}

TEST_F(Ui, P4_TokenSetThroughUiIsNeverRenderedBack) {
  const std::string cookie = login(alpha_admin_);
  const std::string csrf = csrf_of("/spaces/alpha/settings", cookie);
  const std::string token = grafana_token('u');
  auto post = send("POST", "/spaces/alpha/settings/token",
                   {{"Cookie", cookie},
                    {"Origin", origin()},
                    {"Content-Type", "application/x-www-form-urlencoded"}},
                   "csrf=" + csrf + "&token=" + token);
  ASSERT_EQ(post.status, 303) << post.body;
  auto page = send("GET", "/spaces/alpha/settings", {{"Cookie", cookie}});
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find(token), std::string::npos);
  EXPECT_EQ(page.body.find(std::string(32, 'u')), std::string::npos);
  EXPECT_NE(page.body.find("Token saved."), std::string::npos);
  EXPECT_NE(page.body.find("Configured by ui:"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("name=\"token\" value=\"\""), std::string::npos);
  auto status = rt_->store().spaces().token_status("alpha");
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->configured);
}

TEST_F(Ui, CsrfCrossOriginFormPostIsRefused) {
  const std::string cookie = login(alpha_admin_);
  const std::string csrf = csrf_of("/spaces/alpha/settings", cookie);
  const std::string form = "csrf=" + csrf + "&token=" + grafana_token('x');
  const std::map<std::string, std::string> ct{{"Content-Type", "application/x-www-form-urlencoded"},
                                              {"Cookie", cookie}};
  auto evil = ct;
  evil["Origin"] = "https://evil.example";
  EXPECT_EQ(send("POST", "/spaces/alpha/settings/token", evil, form).status, 403);
  auto fetch_site = ct;
  fetch_site["Sec-Fetch-Site"] = "cross-site";
  EXPECT_EQ(send("POST", "/spaces/alpha/settings/token", fetch_site, form).status, 403);
  auto same = ct;
  same["Origin"] = origin();
  EXPECT_EQ(send("POST", "/spaces/alpha/settings/token", same,
                 "csrf=" + std::string(64, '0') + "&token=" + grafana_token('x'))
                .status,
            403);
  EXPECT_EQ(
      send("POST", "/spaces/alpha/settings/token", same, "token=" + grafana_token('x')).status,
      403);
  EXPECT_FALSE(rt_->store().spaces().token_status("alpha")->configured);
  auto login_csrf = send(
      "POST", "/login",
      {{"Content-Type", "application/x-www-form-urlencoded"}, {"Origin", "https://evil.example"}},
      "token=" + alpha_admin_);
  EXPECT_EQ(login_csrf.status, 403);
  EXPECT_EQ(send("POST", "/spaces/alpha/settings/token", same, form).status, 303);
}

TEST_F(Ui, P6_SettingsAndPagesOfOtherSpacesAre404) {
  const std::string cookie = login(alpha_admin_);
  EXPECT_EQ(send("GET", "/spaces/beta/settings", {{"Cookie", cookie}}).status, 404);
  EXPECT_EQ(send("GET", "/spaces/beta/pages/x", {{"Cookie", cookie}}).status, 404);
  const std::string viewer = login(alpha_viewer_);
  EXPECT_EQ(send("GET", "/spaces/alpha/settings", {{"Cookie", viewer}}).status, 403);
}

TEST_F(Ui, PageRendersFromThePagesDirectory) {
  std::filesystem::create_directories(dir_ / "data" / "pages" / "alpha");
  std::ofstream(dir_ / "data" / "pages" / "alpha" / "runbook.md")
      << "---\ntitle: Payments runbook\n---\nSome *text* <script>alert(1)</script>\n";
  const std::string cookie = login(alpha_viewer_);
  auto r = send("GET", "/spaces/alpha/pages/runbook", {{"Cookie", cookie}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("<title>Payments runbook"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<em>text</em>"), std::string::npos);
  EXPECT_EQ(r.body.find("<script"), std::string::npos);
  EXPECT_EQ(send("GET", "/spaces/alpha/pages/missing", {{"Cookie", cookie}}).status, 404);
  EXPECT_EQ(send("GET", "/spaces/alpha/pages/..%2Fx", {{"Cookie", cookie}}).status, 404);
  auto index = send("GET", "/spaces/alpha", {{"Cookie", cookie}});
  EXPECT_NE(index.body.find("/spaces/alpha/pages/runbook"), std::string::npos);
}

// docs/pages.md#limits: the reader sees a notice naming the line and the
// rule instead of a page cmark would take seconds to render.
TEST_F(Ui, PageOverAMarkdownLimitShowsTheRule) {
  std::filesystem::create_directories(dir_ / "data" / "pages" / "alpha");
  std::string deep = "# Deep\n\n";
  for (int i = 0; i < 40; ++i) deep += "> ";
  std::ofstream(dir_ / "data" / "pages" / "alpha" / "deep.md") << deep << "x\n";
  const std::string cookie = login(alpha_viewer_);
  auto r = send("GET", "/spaces/alpha/pages/deep", {{"Cookie", cookie}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("data-rule=\"markdown-nesting-depth\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("line 3: block quotes and list items are nested 40 deep"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(r.body.find("<blockquote>"), std::string::npos);
}

// Page files are kept in memory while unchanged (server/page_files.h); an
// edit shows on the next view.
TEST_F(Ui, AnEditedPageShowsOnTheNextView) {
  const auto file = dir_ / "data" / "pages" / "alpha" / "notes.md";
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << "first version\n";
  const std::string cookie = login(alpha_viewer_);
  auto first = send("GET", "/spaces/alpha/pages/notes", {{"Cookie", cookie}});
  ASSERT_NE(first.body.find("first version"), std::string::npos) << first.body;
  std::ofstream(file) << "the second, longer version\n";
  auto second = send("GET", "/spaces/alpha/pages/notes", {{"Cookie", cookie}});
  EXPECT_NE(second.body.find("the second, longer version"), std::string::npos) << second.body;
  std::filesystem::remove(file);
  EXPECT_EQ(send("GET", "/spaces/alpha/pages/notes", {{"Cookie", cookie}}).status, 404);
}

TEST_F(Ui, P6_AssetsOnlyForTheirSpace) {
  // A 1x1 PNG.
  const std::string png(
      "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx"
      "\x9c\x63\0\x01\0\0\x05\0\x01\x0d\x0a\x2d\xb4\0\0\0\0IEND\xae\x42\x60\x82",
      67);
  auto id = rt_->store().assets().put("alpha", "image/png", png);
  ASSERT_TRUE(id.ok()) << id.error().message;
  const std::string path = "/assets/alpha/" + *id;
  auto ok = send("GET", path, {{"Authorization", "Bearer " + alpha_viewer_}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, png);
  EXPECT_EQ(ok.header("content-type"), "image/png");
  EXPECT_EQ(ok.header("cache-control"), "private, max-age=31536000, immutable");
  EXPECT_EQ(ok.header("x-content-type-options"), "nosniff");
  const std::string cookie = login(alpha_viewer_);
  EXPECT_EQ(send("GET", path, {{"Cookie", cookie}}).status, 200);
  EXPECT_EQ(send("GET", path, {{"Authorization", "Bearer " + beta_admin_}}).status, 404);
  EXPECT_EQ(send("GET", "/assets/beta/" + *id, {{"Authorization", "Bearer " + platform_}}).status,
            404);
  EXPECT_EQ(send("GET", path).status, 303);  // anonymous: to the login form
}

TEST_F(Ui, LC_EveryBundledPluginIdWorksInTheSettingsForm) {
  const std::string cookie = login(alpha_admin_);
  const std::string csrf = csrf_of("/spaces/alpha/settings", cookie);
  for (const std::string id : {"dashboard", "alert_list", "annotation_timeline", "panel_image"}) {
    for (const char* enabled : {"0", "1"}) {
      auto out = send("POST", "/spaces/alpha/settings/plugins/" + id,
                      {{"Cookie", cookie},
                       {"Origin", origin()},
                       {"Content-Type", "application/x-www-form-urlencoded"}},
                      "csrf=" + csrf + "&enabled=" + enabled);
      EXPECT_EQ(out.status, 303) << id;
    }
    auto page = send("GET", "/spaces/alpha/settings", {{"Cookie", cookie}});
    EXPECT_NE(page.body.find(id + " enabled."), std::string::npos) << id;
  }
}

TEST_F(Ui, LogoutEndsTheSession) {
  const std::string cookie = login(alpha_admin_);
  const std::string csrf = csrf_of("/spaces/alpha/settings", cookie);
  auto out = send("POST", "/logout",
                  {{"Cookie", cookie},
                   {"Origin", origin()},
                   {"Content-Type", "application/x-www-form-urlencoded"}},
                  "csrf=" + csrf);
  EXPECT_EQ(out.status, 303);
  EXPECT_NE(out.header("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(send("GET", "/spaces/alpha/settings", {{"Cookie", cookie}}).status, 303);
}

}  // namespace
}  // namespace vitrine::testing
