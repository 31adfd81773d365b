// The JSON API: authentication, roles per space, cross-space 404 (P6), the
// write-only Grafana token (P4), render, audit (P9), body limits.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "server_fixture.h"
#include "store/store.h"

namespace vitrine::testing {
namespace {

using Api = ServerFixture;

TEST_F(Api, P6_NoTokenIsUnauthenticated) {
  auto r = api("GET", "/api/v1/spaces", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("\"code\":\"unauthenticated\""), std::string::npos) << r.body;
  EXPECT_EQ(r.header("www-authenticate"), "Bearer realm=\"vitrine\"");
  EXPECT_EQ(r.header("content-type"), "application/json");
}

TEST_F(Api, P6_UnknownTokenIsUnauthenticated) {
  auto r = api("GET", "/api/v1/spaces/alpha", "vtr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(r.status, 401) << r.body;
}

// Authorization answers are kept for a moment (server/auth_cache.h); a
// revocation must still win at once when this process makes it ...
TEST_F(Api, P6_TokenRevokedThroughThisServerIsRefusedOnTheNextRequest) {
  ASSERT_EQ(api("GET", "/api/v1/spaces/alpha", alpha_viewer_).status, 200);
  auto rows = rt_->store().admin_tokens().list();
  ASSERT_TRUE(rows.ok());
  std::string id;
  for (const auto& row : *rows) {
    if (row.role == "viewer:alpha") id = row.id;
  }
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(rt_->store().admin_tokens().revoke("test", id).ok());
  EXPECT_EQ(api("GET", "/api/v1/spaces/alpha", alpha_viewer_).status, 401);
}

// ... and within one second when the CLI (another process) makes it.
TEST_F(Api, P6_TokenRevokedByAnotherProcessIsRefusedWithinOneSecond) {
  ASSERT_EQ(api("GET", "/api/v1/spaces/alpha", alpha_viewer_).status, 200);
  {
    store::StoreOptions so;
    so.data_dir = config_.data_dir;
    so.keyring = *store::crypto::Keyring::load(std::nullopt);
    auto cli = store::Store::open(std::move(so));
    ASSERT_TRUE(cli.ok()) << cli.error().message;
    auto rows = (*cli)->admin_tokens().list();
    ASSERT_TRUE(rows.ok());
    for (const auto& row : *rows) {
      if (row.role == "viewer:alpha") {
        ASSERT_TRUE((*cli)->admin_tokens().revoke("cli", row.id).ok());
      }
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(api("GET", "/api/v1/spaces/alpha", alpha_viewer_).status, 401);
}

TEST_F(Api, P6_SessionCookieIsNotAnApiCredential) {
  // The API reads only Authorization, so a cross-site request that carries
  // the browser's cookie is still anonymous there.
  const std::string cookie = login(platform_);
  auto r = send("GET", "/api/v1/spaces", {{"Cookie", cookie}});
  EXPECT_EQ(r.status, 401);
}

TEST_F(Api, P6_SpaceListShowsOnlyOwnSpaceToSpaceRoles) {
  auto all = api("GET", "/api/v1/spaces", platform_);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_NE(all.body.find("\"key\":\"alpha\""), std::string::npos);
  EXPECT_NE(all.body.find("\"key\":\"beta\""), std::string::npos);
  auto own = api("GET", "/api/v1/spaces", alpha_viewer_);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_NE(own.body.find("\"key\":\"alpha\""), std::string::npos);
  EXPECT_EQ(own.body.find("beta"), std::string::npos) << own.body;
}

TEST_F(Api, P6_OtherSpaceAnswersLikeAMissingOne) {
  auto other = api("GET", "/api/v1/spaces/beta", alpha_admin_);
  auto missing = api("GET", "/api/v1/spaces/nope", alpha_admin_);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(missing.status, 404);
  // Same code; the message names only the space asked for.
  EXPECT_NE(other.body.find("\"code\":\"not-found\""), std::string::npos);
  auto put = api("PUT", "/api/v1/spaces/beta/token", alpha_admin_,
                 "{\"token\":\"" + grafana_token('b') + "\"}");
  EXPECT_EQ(put.status, 404) << put.body;
  EXPECT_EQ(api("GET", "/api/v1/spaces/beta/audit", alpha_admin_).status, 404);
  EXPECT_EQ(api("POST", "/api/v1/spaces/beta/render", alpha_viewer_, "{\"markdown\":\"x\"}").status,
            404);
  EXPECT_EQ(api("PUT", "/api/v1/spaces/beta/plugins/dashboard", alpha_admin_).status, 404);
}

TEST_F(Api, P6_ViewerCannotAdminister) {
  auto put = api("PUT", "/api/v1/spaces/alpha/token", alpha_viewer_,
                 "{\"token\":\"" + grafana_token('v') + "\"}");
  EXPECT_EQ(put.status, 403) << put.body;
  EXPECT_NE(put.body.find("\"code\":\"forbidden\""), std::string::npos);
  EXPECT_EQ(api("GET", "/api/v1/spaces/alpha/audit", alpha_viewer_).status, 403);
  EXPECT_EQ(api("DELETE", "/api/v1/spaces/alpha/plugins/dashboard", alpha_viewer_).status, 403);
  EXPECT_EQ(api("GET", "/api/v1/plugins", alpha_admin_).status, 403);
  EXPECT_EQ(api("POST", "/api/v1/plugins/dashboard/approve", alpha_admin_).status, 403);
  // A viewer sees the space but not its token status.
  auto show = api("GET", "/api/v1/spaces/alpha", alpha_viewer_);
  ASSERT_EQ(show.status, 200);
  EXPECT_EQ(show.body.find("\"token\""), std::string::npos) << show.body;
}

TEST_F(Api, P4_TokenIsWriteOnly) {
  const std::string token = grafana_token('q');
  auto put =
      api("PUT", "/api/v1/spaces/alpha/token", alpha_admin_, "{\"token\":\"" + token + "\"}");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.body.find(token), std::string::npos);
  EXPECT_NE(put.body.find("\"configured\":true"), std::string::npos) << put.body;
  auto show = api("GET", "/api/v1/spaces/alpha", alpha_admin_);
  ASSERT_EQ(show.status, 200);
  EXPECT_EQ(show.body.find(token), std::string::npos);
  EXPECT_NE(show.body.find("\"set_by\":\"api:"), std::string::npos) << show.body;
  auto audit = api("GET", "/api/v1/spaces/alpha/audit", alpha_admin_);
  ASSERT_EQ(audit.status, 200);
  EXPECT_EQ(audit.body.find(token), std::string::npos);
  EXPECT_NE(audit.body.find("token.set"), std::string::npos) << audit.body;
  auto md = api("GET", "/api/v1/spaces/alpha/audit?format=md", alpha_admin_);
  EXPECT_EQ(md.status, 200);
  EXPECT_EQ(md.body.find(token), std::string::npos);

  const std::string next = grafana_token('r');
  auto rot = api("POST", "/api/v1/spaces/alpha/token/rotate", alpha_admin_,
                 "{\"token\":\"" + next + "\"}");
  EXPECT_EQ(rot.status, 200) << rot.body;
  EXPECT_EQ(rot.body.find(next), std::string::npos);
  auto del = api("DELETE", "/api/v1/spaces/alpha/token", alpha_admin_);
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_NE(del.body.find("\"configured\":false"), std::string::npos) << del.body;
}

TEST_F(Api, P4_MalformedTokenIsRefusedWithoutEcho) {
  const std::string bad = "glsa_notarealtoken_zzzz";
  auto r = api("PUT", "/api/v1/spaces/alpha/token", alpha_admin_, "{\"token\":\"" + bad + "\"}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.body.find(bad), std::string::npos);
}

TEST_F(Api, JsonBodiesNeedTheJsonMediaType) {
  auto r = send("PUT", "/api/v1/spaces/alpha/token",
                {{"Authorization", "Bearer " + alpha_admin_}, {"Content-Type", "text/plain"}},
                "{\"token\":\"x\"}");
  EXPECT_EQ(r.status, 415);
  auto bad = api("POST", "/api/v1/spaces/alpha/render", alpha_viewer_, "[1,2]");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("invalid-json"), std::string::npos);
}

TEST_F(Api, RequestBodyLimitAnswers413) {
  std::string big = "{\"markdown\":\"" + std::string(max_body_ + 10, 'a') + "\"}";
  auto r = api("POST", "/api/v1/spaces/alpha/render", alpha_viewer_, big);
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("payload-too-large"), std::string::npos);
}

TEST_F(Api, RenderPageReturnsTitleHtmlAndMacros) {
  auto r = api("POST", "/api/v1/spaces/alpha/render", alpha_viewer_,
               "{\"markdown\":\"---\\ntitle: Runbook\\n---\\n# Hello *there*\\n\\n"
               "```dashboard\\ndashboard: abc123\\n```\\n\",\"page_id\":\"runbook\"}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"title\":\"Runbook\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<em>there</em>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"macros\":[{\"state\":"), std::string::npos) << r.body;
  auto bad_id = api("POST", "/api/v1/spaces/alpha/render", alpha_viewer_,
                    "{\"markdown\":\"x\",\"page_id\":\"../etc\"}");
  EXPECT_EQ(bad_id.status, 400);
}

// docs/pages.md#limits: a page over a Markdown limit is refused before it is
// parsed, 422 with the rule id as the code and the line in the message.
TEST_F(Api, MarkdownLimitAnswers422WithTheRule) {
  auto table = [](int columns) {
    std::string header, delimiter;
    for (int c = 0; c < columns; ++c) header += "|h", delimiter += "|-";
    return "# Wide\\n\\n" + header + "|\\n" + delimiter + "|\\n";
  };
  auto over = api("POST", "/api/v1/spaces/alpha/render", alpha_viewer_,
                  "{\"markdown\":\"" + table(257) + "\"}");
  EXPECT_EQ(over.status, 422) << over.body;
  EXPECT_NE(over.body.find("\"code\":\"markdown-table-columns\""), std::string::npos) << over.body;
  EXPECT_NE(over.body.find("line 3: a table row has 257 columns"), std::string::npos) << over.body;
  auto under = api("POST", "/api/v1/spaces/alpha/render", alpha_viewer_,
                   "{\"markdown\":\"" + table(256) + "\"}");
  EXPECT_EQ(under.status, 200) << under.body;
  EXPECT_NE(under.body.find("<th>h</th>"), std::string::npos);
}

TEST_F(Api, RenderMacroUnknownKeyIs404) {
  auto r = api("POST", "/api/v1/spaces/alpha/macros/no-such-macro/render", alpha_viewer_,
               "{\"params\":{}}");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("unknown-macro"), std::string::npos);
  auto ok = api("POST", "/api/v1/spaces/alpha/macros/dashboard/render", alpha_viewer_,
                "{\"params\":{\"dashboard\":\"abc123\",\"max_panels\":5}}");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("\"html\":"), std::string::npos);
  EXPECT_NE(ok.body.find("\"state\":"), std::string::npos);
}

TEST_F(Api, P9_PluginsListApproveEnableDisable) {
  auto list = api("GET", "/api/v1/plugins", platform_);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find("\"id\":\"dashboard\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("\"pending_diff\":[]"), std::string::npos) << list.body;
  EXPECT_EQ(api("POST", "/api/v1/plugins/dashboard/approve", platform_).status, 200);
  EXPECT_EQ(api("POST", "/api/v1/plugins/nope/approve", platform_).status, 404);
  EXPECT_EQ(api("DELETE", "/api/v1/spaces/alpha/plugins/dashboard", alpha_admin_).status, 200);
  EXPECT_EQ(api("PUT", "/api/v1/spaces/alpha/plugins/dashboard", alpha_admin_).status, 200);
  EXPECT_EQ(api("PUT", "/api/v1/spaces/alpha/plugins/nope", alpha_admin_).status, 404);
  auto audit = api("GET", "/api/v1/spaces/alpha/audit?since=1h", alpha_admin_);
  ASSERT_EQ(audit.status, 200);
  EXPECT_NE(audit.body.find("api:"), std::string::npos) << audit.body;
  EXPECT_EQ(api("GET", "/api/v1/spaces/alpha/audit?since=garbage", alpha_admin_).status, 400);
  EXPECT_EQ(api("GET", "/api/v1/spaces/alpha/audit?format=xml", alpha_admin_).status, 400);
}

// Every API route takes exactly the manifest's plugin id grammar
// ([a-z][a-z0-9_]{1,63}): all four bundled plugins, three of them with '_'.
TEST_F(Api, LC_EveryBundledPluginIdWorksInEveryPluginRoute) {
  for (const std::string id : {"dashboard", "alert_list", "annotation_timeline", "panel_image"}) {
    auto approve = api("POST", "/api/v1/plugins/" + id + "/approve", platform_);
    EXPECT_EQ(approve.status, 200) << id << ": " << approve.body;
    EXPECT_NE(approve.body.find("\"approved\":true"), std::string::npos) << approve.body;
    EXPECT_EQ(api("DELETE", "/api/v1/spaces/alpha/plugins/" + id, alpha_admin_).status, 200) << id;
    EXPECT_EQ(api("PUT", "/api/v1/spaces/alpha/plugins/" + id, alpha_admin_).status, 200) << id;
    EXPECT_EQ(api("GET", "/api/v1/plugins/" + id + "/usage", platform_).status, 200) << id;
  }
  EXPECT_EQ(api("POST", "/api/v1/plugins/Alert_List/approve", platform_).status, 404);
  EXPECT_EQ(api("POST", "/api/v1/plugins/alert-list/approve", platform_).status, 404);
}

TEST_F(Api, TestConnectionAnswersWithoutToken) {
  auto r = api("POST", "/api/v1/spaces/alpha/test-connection", alpha_admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"ok\":false"), std::string::npos) << r.body;
  EXPECT_EQ(api("POST", "/api/v1/spaces/alpha/test-connection", alpha_viewer_).status, 403);
}

TEST_F(Api, LicenseForAnyRole) {
  auto r = api("GET", "/api/v1/license", alpha_viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"licensed\":"), std::string::npos);
  EXPECT_EQ(api("GET", "/api/v1/license", "").status, 401);
}

TEST_F(Api, UnknownEndpointAndWrongMethod) {
  auto r = api("GET", "/api/v1/nothing", platform_);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("\"error\""), std::string::npos);
  auto m = api("DELETE", "/api/v1/spaces", platform_);
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.header("allow"), "GET, POST");
}

}  // namespace
}  // namespace vitrine::testing
