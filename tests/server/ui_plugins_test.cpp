// The platform admin's plugin page (/admin/plugins, server/ui_plugins.cpp):
// it shows every installed version with its state, signer and pending
// permission diff, and its Approve / Roll back buttons run the same
// desired-state operations as the CLI and the API (reconcile/plugin_ops.h)
// behind the browser's session and CSRF checks. The awaiting upgrade is the
// lifecycle test plugin (tests/integration/lifecycle): 1.0.0 approved and
// running, 1.2.0 installed with one more scope.
#include <gmock/gmock.h>

#include <filesystem>
#include <optional>
#include <regex>

#include "reconcile/plugin_ops.h"
#include "server_fixture.h"
#include "store/plugin_store.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace vitrine::testing {
namespace {

namespace fs = std::filesystem;

class PluginUi : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    if (HasFatalFailure()) return;
    if (!fs::exists(lifecycle("v1_2_0") / "versioned.yml")) {
      GTEST_SKIP() << "the lifecycle test plugin is not built in " << VITRINE_LIFECYCLE_DIR
                   << "; build the targets versioned_v1_0_0 versioned_v1_2_0";
    }
  }

  static fs::path lifecycle(const std::string& variant) {
    return fs::path(VITRINE_LIFECYCLE_DIR) / variant;
  }

  store::ArtifactRow install(const store::InstallRequest& req) {
    auto installed = rt_->store().plugin_store().install("test", req);
    EXPECT_TRUE(installed.ok()) << installed.error().message;
    return installed.ok() ? installed->row : store::ArtifactRow{};
  }

  store::ArtifactRow install_variant(const std::string& variant) {
    auto req = store::PluginStore::read_directory_entry(lifecycle(variant) / "versioned.yml");
    EXPECT_TRUE(req.ok()) << req.error().message;
    return req.ok() ? install(*req) : store::ArtifactRow{};
  }

  // versioned 1.0.0 approved and running, 1.2.0 awaiting approval.
  store::ArtifactRow upgrade_awaiting() {
    install_variant("v1_0_0");
    auto approved =
        reconcile::approve_artifact(rt_->store(), "setup", {"versioned", "1.0.0", ""}, false);
    EXPECT_TRUE(approved.ok()) << approved.error().message;
    const auto newer = install_variant("v1_2_0");
    EXPECT_EQ(rt_->apply_plugins(), "");
    EXPECT_EQ(state_of("versioned", "1.0.0"), "running");
    EXPECT_EQ(state_of("versioned", "1.2.0"), "awaiting-approval");
    return newer;
  }

  std::string state_of(const std::string& id, const std::string& version) const {
    for (const auto& p : rt_->plugins()) {
      if (p.manifest.id == id && p.manifest.version == version) return p.state;
    }
    return "(not installed)";
  }

  HttpResult post_form(const std::string& path, const std::string& cookie,
                       const std::string& body) {
    return send("POST", path,
                {{"Cookie", cookie},
                 {"Origin", origin()},
                 {"Content-Type", "application/x-www-form-urlencoded"}},
                body);
  }

  // The table row of one version on the page, or empty.
  static std::string row_of(const std::string& page, const std::string& id,
                            const std::string& version) {
    const std::string start = "<tr data-plugin=\"" + id + "\" data-version=\"" + version + "\"";
    const auto at = page.find(start);
    if (at == std::string::npos) return {};
    return page.substr(at, page.find("</tr>", at) - at);
  }

  static std::string flash_of(const std::string& page) {
    std::smatch m;
    static const std::regex re("<p class=\"(flash[^\"]*)\" role=\"[a-z]+\">([^<]*)</p>");
    if (!std::regex_search(page, m, re)) return {};
    return std::string(m[1]) + ": " + std::string(m[2]);
  }
};

TEST_F(PluginUi, PlatformAdminApprovesAnAwaitingUpgradeWithItsDiff) {
  const auto newer = upgrade_awaiting();
  const std::string cookie = login(platform_);
  auto page = send("GET", "/admin/plugins", {{"Cookie", cookie}});
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_THAT(page.body, HasSubstr("<a href=\"/admin/plugins\">Plugins</a>"));
  const std::string row = row_of(page.body, "versioned", "1.2.0");
  ASSERT_FALSE(row.empty()) << page.body;
  EXPECT_THAT(row, HasSubstr("data-state=\"awaiting-approval\""));
  EXPECT_THAT(row, HasSubstr("<span class=\"unsigned\">UNSIGNED</span>"));
  EXPECT_THAT(row, HasSubstr(newer.library_sha256.substr(0, 12)));
  EXPECT_THAT(row, HasSubstr("<li class=\"added\">+ scope grafana:read:dashboards</li>"));
  EXPECT_THAT(row, HasSubstr("1.0.0 keeps running until"));
  EXPECT_THAT(row, HasSubstr("action=\"/admin/plugins/versioned/approve\""));
  EXPECT_THAT(row_of(page.body, "versioned", "1.0.0"), HasSubstr("data-state=\"running\""));

  const std::string csrf = csrf_of("/admin/plugins", cookie);
  auto post = post_form("/admin/plugins/versioned/approve", cookie,
                        "csrf=" + csrf + "&version=1.2.0&library_sha256=" + newer.library_sha256);
  ASSERT_EQ(post.status, 303) << post.body;
  EXPECT_EQ(post.header("location"), "/admin/plugins");
  // Applied on this host before the redirect: the upgrade runs now.
  EXPECT_EQ(state_of("versioned", "1.2.0"), "running");
  EXPECT_EQ(state_of("versioned", "1.0.0"), "standby");
  auto target = rt_->find_macro("versioned");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->plugin->version, "1.2.0");

  auto after = send("GET", "/admin/plugins", {{"Cookie", cookie}});
  EXPECT_THAT(flash_of(after.body), HasSubstr("flash: Approved versioned 1.2.0 (UNSIGNED"));
  EXPECT_THAT(flash_of(after.body), HasSubstr("it is running now."));
  EXPECT_THAT(row_of(after.body, "versioned", "1.2.0"), HasSubstr("data-state=\"running\""));
  // The approval is the audited desired state, attributed to the session.
  auto approvals = rt_->store().approvals().list(std::string("versioned"));
  ASSERT_TRUE(approvals.ok());
  bool by_ui = false;
  for (const auto& a : *approvals)
    by_ui |= a.version == "1.2.0" && a.approved_by.rfind("ui:", 0) == 0;
  EXPECT_TRUE(by_ui);
}

TEST_F(PluginUi, RollBackToAStandbyVersion) {
  const auto newer = upgrade_awaiting();
  const std::string cookie = login(platform_);
  std::string csrf = csrf_of("/admin/plugins", cookie);
  ASSERT_EQ(post_form("/admin/plugins/versioned/approve", cookie,
                      "csrf=" + csrf + "&version=1.2.0&library_sha256=" + newer.library_sha256)
                .status,
            303);
  auto page = send("GET", "/admin/plugins", {{"Cookie", cookie}});
  const std::string standby = row_of(page.body, "versioned", "1.0.0");
  EXPECT_THAT(standby, HasSubstr("data-state=\"standby\""));
  EXPECT_THAT(standby, HasSubstr("Roll back to this version"));
  csrf = csrf_of("/admin/plugins", cookie);
  auto post =
      post_form("/admin/plugins/versioned/rollback", cookie, "csrf=" + csrf + "&version=1.0.0");
  ASSERT_EQ(post.status, 303) << post.body;
  EXPECT_EQ(state_of("versioned", "1.0.0"), "running");
  EXPECT_EQ(state_of("versioned", "1.2.0"), "standby");
  auto after = send("GET", "/admin/plugins", {{"Cookie", cookie}});
  EXPECT_EQ(flash_of(after.body), "flash: versioned 1.0.0 runs again (rolled back).");

  // A version that was never approved cannot be pinned: an error notice.
  csrf = csrf_of("/admin/plugins", cookie);
  ASSERT_EQ(
      post_form("/admin/plugins/versioned/rollback", cookie, "csrf=" + csrf + "&version=9.9.9")
          .status,
      303);
  after = send("GET", "/admin/plugins", {{"Cookie", cookie}});
  EXPECT_THAT(flash_of(after.body), HasSubstr("flash error: Not rolled back: "));
  EXPECT_EQ(state_of("versioned", "1.0.0"), "running");
}

TEST_F(PluginUi, SpaceAdminIsRefused) {
  const auto newer = upgrade_awaiting();
  const std::string cookie = login(alpha_admin_);
  auto page = send("GET", "/admin/plugins", {{"Cookie", cookie}});
  EXPECT_EQ(page.status, 403);
  EXPECT_THAT(page.body, HasSubstr("Not allowed"));
  EXPECT_THAT(page.body, Not(HasSubstr("versioned")));
  // Even with its own session's valid CSRF token.
  const std::string csrf = csrf_of("/spaces/alpha/settings", cookie);
  auto post = post_form("/admin/plugins/versioned/approve", cookie,
                        "csrf=" + csrf + "&version=1.2.0&library_sha256=" + newer.library_sha256);
  EXPECT_EQ(post.status, 403);
  EXPECT_EQ(
      post_form("/admin/plugins/versioned/rollback", cookie, "csrf=" + csrf + "&version=1.0.0")
          .status,
      403);
  EXPECT_EQ(state_of("versioned", "1.2.0"), "awaiting-approval");
  // No session at all: the GET goes to the login form.
  auto anonymous = send("GET", "/admin/plugins");
  EXPECT_EQ(anonymous.status, 303);
  EXPECT_EQ(anonymous.header("location"), "/login?next=/admin/plugins");
}

TEST_F(PluginUi, MissingOrWrongCsrfTokenIsRefused) {
  const auto newer = upgrade_awaiting();
  const std::string cookie = login(platform_);
  const std::string csrf = csrf_of("/admin/plugins", cookie);
  const std::string fields = "&version=1.2.0&library_sha256=" + newer.library_sha256;
  const std::string path = "/admin/plugins/versioned/approve";
  EXPECT_EQ(post_form(path, cookie, fields.substr(1)).status, 403);
  EXPECT_EQ(post_form(path, cookie, "csrf=" + std::string(64, '0') + fields).status, 403);
  auto cross_site = send("POST", path,
                         {{"Cookie", cookie},
                          {"Origin", "https://evil.example"},
                          {"Content-Type", "application/x-www-form-urlencoded"}},
                         "csrf=" + csrf + fields);
  EXPECT_EQ(cross_site.status, 403);
  EXPECT_EQ(post_form("/admin/plugins/versioned/rollback", cookie, "version=1.0.0").status, 403);
  EXPECT_EQ(state_of("versioned", "1.2.0"), "awaiting-approval");
  // The same form with the right token goes through.
  EXPECT_EQ(post_form(path, cookie, "csrf=" + csrf + fields).status, 303);
  EXPECT_EQ(state_of("versioned", "1.2.0"), "running");
}

// alert_list (an id with '_') with a newer manifest whose library still
// says 1.0.0: it awaits approval, and once approved the loader refuses it
// [manifest-version-mismatch]; the page says so in an error notice and
// 1.0.0 keeps running. Ids outside manifest::valid_plugin_id are refused.
TEST_F(PluginUi, UnderscoreIdsWorkAndRefusalsAreErrorNotices) {
  auto req =
      store::PluginStore::read_directory_entry(fs::path(VITRINE_PLUGINS_DIR) / "alert_list.yml");
  ASSERT_TRUE(req.ok()) << req.error().message;
  const auto at = req->manifest_bytes.find("version: 1.0.0");
  ASSERT_NE(at, std::string::npos);
  req->manifest_bytes.replace(at, 14, "version: 1.0.1");
  const auto newer = install(*req);
  ASSERT_EQ(rt_->apply_plugins(), "");
  ASSERT_EQ(state_of("alert_list", "1.0.1"), "awaiting-approval");

  const std::string cookie = login(platform_);
  auto page = send("GET", "/admin/plugins", {{"Cookie", cookie}});
  EXPECT_THAT(row_of(page.body, "alert_list", "1.0.1"),
              HasSubstr("action=\"/admin/plugins/alert_list/approve\""));
  std::string csrf = csrf_of("/admin/plugins", cookie);
  ASSERT_EQ(post_form("/admin/plugins/alert_list/approve", cookie,
                      "csrf=" + csrf + "&version=1.0.1&library_sha256=" + newer.library_sha256)
                .status,
            303);
  EXPECT_EQ(state_of("alert_list", "1.0.1"), "refused");
  EXPECT_EQ(state_of("alert_list", "1.0.0"), "running");
  auto after = send("GET", "/admin/plugins", {{"Cookie", cookie}});
  const std::string notice = flash_of(after.body);
  EXPECT_THAT(notice, HasSubstr("flash error: Approved alert_list 1.0.1"));
  EXPECT_THAT(notice, HasSubstr("refused when loaded"));
  EXPECT_THAT(after.body, HasSubstr("role=\"alert\""));

  for (const std::string bad : {"Alert_List", "alert-list", "_alert", "a"}) {
    csrf = csrf_of("/admin/plugins", cookie);
    auto r = post_form("/admin/plugins/" + bad + "/approve", cookie, "csrf=" + csrf);
    ASSERT_EQ(r.status, 303) << bad;
    after = send("GET", "/admin/plugins", {{"Cookie", cookie}});
    EXPECT_EQ(flash_of(after.body), "flash error: No plugin &#39;" + bad + "&#39; is installed.")
        << bad;
  }
}

}  // namespace
}  // namespace vitrine::testing
