// The plugin lifecycle through the real binaries (docs/admin.md, "Plugin
// lifecycle"; rules LC-1..LC-5 in reconcile/plugin_plan.h): `vitrine serve`
// runs while the CLI and the API install, approve, upgrade, roll back and
// refuse versions of a test plugin built from one source in four variants
// (tests/integration/lifecycle). No step restarts the server.
#include <gmock/gmock.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "serve_process.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace vitrine::testing {
namespace {

class PluginLifecycle : public ServedHost {
 protected:
  std::string dir_of(const std::string& variant) const {
    return std::string(VITRINE_LIFECYCLE_DIR) + "/" + variant;
  }
  // The versioned macro as the render API answers it.
  Http render() const {
    return http(port_, "POST", "/api/v1/spaces/demo/render", admin_,
                "{\"markdown\": \"```versioned\\n```\\n\"}");
  }
  // Waits until the page shows `text`; returns how long that took, or -1.
  double ms_until_page_shows(const std::string& text, int limit_ms = 3000) const {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      if (render().body.find(text) != std::string::npos) return ms;
      if (ms > limit_ms) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::string admin_;
};

TEST_F(PluginLifecycle, LC_UpgradeApproveRollbackAndImpostorWhileServing) {
  admin_ = create_token("platform-admin");
  // Installed but never approved: an error box that says so, never a code block.
  auto r = run(cli() + " plugins install " + dir_of("v1_0_0") + " --allow-unsigned");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("UNSIGNED"));
  start_server();
  Http page = render();
  EXPECT_THAT(page.body, HasSubstr("plugin-awaiting-approval")) << page.body;
  EXPECT_THAT(page.body, HasSubstr("was never approved"));
  EXPECT_THAT(page.body, Not(HasSubstr("<pre"))) << page.body;

  // Approve (CLI) and enable: live on the running server within a second.
  r = run(cli() + " plugins approve versioned --show-diff");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("within one second"));
  ASSERT_EQ(run(cli() + " plugins enable --space demo versioned").status, 0);
  const double first_live = ms_until_page_shows("versioned 1.0.0");
  EXPECT_GE(first_live, 0) << render().body;
  EXPECT_LE(first_live, 1000);

  // An upgrade that asks for more permissions waits; 1.0.0 keeps serving.
  ASSERT_EQ(run(cli() + " plugins install " + dir_of("v1_2_0") + " --allow-unsigned").status, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_THAT(render().body, HasSubstr("versioned 1.0.0"));
  Http list = http(port_, "GET", "/api/v1/plugins", admin_);
  EXPECT_THAT(list.body, HasSubstr("\"state\":\"awaiting-approval\""));
  EXPECT_THAT(list.body, HasSubstr("+ scope grafana:read:dashboards"));

  // The same permissions in 1.1.0 still need their own approval (LC-1).
  ASSERT_EQ(run(cli() + " plugins install " + dir_of("v1_1_0") + " --allow-unsigned").status, 0);
  const auto before_approve = std::chrono::steady_clock::now();
  r = run(cli() + " plugins approve versioned --version 1.1.0");
  ASSERT_EQ(r.status, 0) << r.output;
  const double cli_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - before_approve)
          .count();
  const double upgrade_live = ms_until_page_shows("versioned 1.1.0");
  EXPECT_GE(upgrade_live, 0) << render().body;
  EXPECT_LE(upgrade_live, 1000);
  std::printf("approval to live: first %.0f ms, upgrade %.0f ms after the CLI's %.0f ms\n",
              first_live, upgrade_live, cli_ms);

  // Approve 1.2.0 through the API (id with '_' grammar, JSON body): at once.
  Http approved =
      http(port_, "POST", "/api/v1/plugins/versioned/approve", admin_, "{\"version\": \"1.2.0\"}");
  EXPECT_EQ(approved.status, 200) << approved.body;
  EXPECT_THAT(approved.body, HasSubstr("\"signed_by\":\"unsigned\""));
  EXPECT_GE(ms_until_page_shows("versioned 1.2.0", 200), 0) << render().body;

  // Rollback to an approved version: no re-approval, live within a second.
  r = run(cli() + " plugins rollback versioned --to 1.0.0");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_LE(ms_until_page_shows("versioned 1.0.0"), 1000);
  // Rolling back to a version never approved is refused.
  ASSERT_EQ(run(cli() + " plugins install " + dir_of("impostor") + " --allow-unsigned").status, 0);
  r = run(cli() + " plugins rollback versioned --to 9.9.9");
  EXPECT_EQ(r.status, 1) << r.output;

  // An impostor library under 1.0.0 never runs (LC-1) and says why.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  Http after = render();
  EXPECT_THAT(after.body, HasSubstr("versioned 1.0.0"));
  EXPECT_THAT(after.body, Not(HasSubstr("impostor")));
  r = run(cli() + " plugins status");
  EXPECT_THAT(r.output, HasSubstr("refused"));
  EXPECT_THAT(r.output, HasSubstr("differ from the approved artifact"));

  // Disabled in this space only: an error box naming who can act.
  ASSERT_EQ(run(cli() + " plugins disable --space demo versioned").status, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_THAT(render().body, HasSubstr("plugin-not-enabled"));

  // The audit names every step, unsigned artifacts as such.
  r = run(cli() + " audit --format json");
  EXPECT_THAT(r.output, HasSubstr("plugin.install"));
  EXPECT_THAT(r.output, HasSubstr("plugin.approve"));
  EXPECT_THAT(r.output, HasSubstr("plugin.rollback"));
  EXPECT_THAT(r.output, HasSubstr("plugin.refused"));
  EXPECT_THAT(r.output, HasSubstr("plugin-artifact-unapproved"));
  EXPECT_THAT(r.output, HasSubstr("unsigned"));
}

TEST_F(PluginLifecycle, LC_SignedBundleInstallsAndABadOneChangesNothing) {
  const auto key = dir_ / "publisher";
  ASSERT_EQ(run(cli() + " plugins keygen --out " + key.string()).status, 0);
  const auto bundle = dir_ / "versioned-1.1.0.vitrine-plugin";
  auto r = run(cli() + " plugins pack " + dir_of("v1_1_0") + " --key " + key.string() +
               ".key --out " + bundle.string());
  ASSERT_EQ(r.status, 0) << r.output;
  // Untrusted publisher: refused, nothing installed.
  r = run(cli() + " plugins install " + bundle.string());
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("[bundle-untrusted-key]"));
  EXPECT_THAT(r.output, HasSubstr("nothing was installed"));
  ASSERT_EQ(run(cli() + " plugins trust add " + key.string() + ".pub --name acme").status, 0);
  // A flipped byte in the library: refused with its rule, nothing installed.
  std::string bytes;
  {
    std::ifstream in(bundle, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto bad = dir_ / "bad.vitrine-plugin";
  {
    std::string flipped = bytes;
    flipped[flipped.size() - 100] ^= 0x01;
    std::ofstream(bad, std::ios::binary) << flipped;
  }
  r = run(cli() + " plugins install " + bad.string());
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("[bundle-digest]"));
  EXPECT_THAT(run(cli() + " plugins status").output, Not(HasSubstr("versioned")));
  // The good one installs, signed by the name the admin gave the key.
  r = run(cli() + " plugins install " + bundle.string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("signed by acme"));
  // An unsigned directory needs --allow-unsigned.
  r = run(cli() + " plugins install " + dir_of("v1_0_0"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("[bundle-unsigned]"));
}

TEST_F(PluginLifecycle, LC_ALicenseReachesARunningHostWithoutRestart) {
  admin_ = create_token("platform-admin");
  extra_config_ = "dev_mode: true\n";
  start_server();
  auto badge = [&] {
    return http(port_, "POST", "/api/v1/spaces/demo/render", admin_,
                "{\"markdown\": \"```alert-badge\\n```\\n\"}");
  };
  EXPECT_THAT(badge().body, HasSubstr("not-licensed"));
  auto r = run(std::string(VITRINE_CLI_PATH) + " license dev --data-dir " +
               config_.data_dir.string() + " --features alert-badges");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto start = std::chrono::steady_clock::now();
  double ms = -1;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
    if (badge().body.find("not-licensed") == std::string::npos) {
      ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
               .count();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(ms, 0) << badge().body;
  EXPECT_LE(ms, 1000);
}

}  // namespace
}  // namespace vitrine::testing
