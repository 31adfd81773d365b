// `vitrine plugins validate` through the real binary: every bundled plugin
// passes (CI runs these, so a bundled plugin that stops conforming fails the
// build), and each deliberately flawed plugin (tests/validate/) is caught
// with the finding that names its flaw.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "support/shell_run.h"

namespace {

namespace fs = std::filesystem;
using vitrine::test_support::run;

std::string validate(const std::string& target, const std::string& extra = {}) {
  return std::string(VITRINE_CLI_PATH) + " plugins validate " + target + " --simulator " +
         VITRINE_SIM_PATH + " --worker-path " + VITRINE_WORKER_PATH + " --quiet " + extra;
}

std::string flaw(const std::string& id) { return std::string(VITRINE_FLAW_DIR) + "/" + id; }

void expect_bundled_passes(const std::string& id) {
  const auto junit = fs::temp_directory_path() / ("validate-" + id + ".xml");
  auto r = run(
      validate(std::string(VITRINE_PLUGINS_DIR) + "/" + id + ".yml", "--junit " + junit.string()));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(": PASSED"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("\nFAIL "), std::string::npos) << r.output;
  std::ifstream in(junit);
  std::stringstream xml;
  xml << in.rdbuf();
  EXPECT_NE(xml.str().find("<testsuite name=\"" + id + "\""), std::string::npos) << xml.str();
  EXPECT_EQ(xml.str().find("<failure"), std::string::npos) << xml.str();
  fs::remove(junit);
}

TEST(PluginsValidate, BundledPlugin_hello) { expect_bundled_passes("hello"); }
TEST(PluginsValidate, BundledPlugin_dashboard) { expect_bundled_passes("dashboard"); }
TEST(PluginsValidate, BundledPlugin_alert_list) { expect_bundled_passes("alert_list"); }
TEST(PluginsValidate, BundledPlugin_annotation_timeline) {
  expect_bundled_passes("annotation_timeline");
}
TEST(PluginsValidate, BundledPlugin_panel_image) { expect_bundled_passes("panel_image"); }

// A new bundled plugin needs its own BundledPlugin_<id> test above.
TEST(PluginsValidate, EveryBundledPluginHasATest) {
  const std::set<std::string> tested = {"hello", "dashboard", "alert_list", "annotation_timeline",
                                        "panel_image"};
  std::set<std::string> bundled;
  for (const auto& e : fs::directory_iterator(VITRINE_PLUGINS_DIR)) {
    if (e.path().extension() == ".yml") bundled.insert(e.path().stem().string());
  }
  EXPECT_EQ(bundled, tested);
}

TEST(PluginsValidate, CrashOnAParameterValueFails) {
  auto r = run(validate(flaw("flaw_crash")));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL flaw-crash [boundary] mode=boom (value): crash: the plugin "
                          "crashed [worker-crashed]"),
            std::string::npos)
      << r.output;
  // The crash is blamed on its own case only.
  EXPECT_NE(r.output.find("PASS flaw-crash [boundary] mode=calm (value)"), std::string::npos)
      << r.output;
}

TEST(PluginsValidate, HangPastTheDeadlineFails) {
  auto r = run(validate(flaw("flaw_hang"), "--deadline-ms 500"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL flaw-hang [boundary] mode=spin (value): deadline: the render did "
                          "not finish within the 500 ms deadline"),
            std::string::npos)
      << r.output;
}

TEST(PluginsValidate, FailureWithAnEmptyReasonFails_ABI5) {
  auto r = run(validate(flaw("flaw_no_reason")));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL flaw-no-reason [defaults] defaults: reason: the render failed "
                          "with status upstream and an empty reason"),
            std::string::npos)
      << r.output;
}

TEST(PluginsValidate, RequestToAnUndeclaredPathFailsNamingTheRule_P3) {
  auto r = run(validate(flaw("flaw_undeclared")));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL flaw-undeclared [defaults] defaults: egress: GET "
                          "https://grafana-sim.grafana.net/api/annotations was denied [egress-"),
            std::string::npos)
      << r.output;
  // Nothing it requested was allowed, so its dashboards scope counts as unused.
  EXPECT_NE(r.output.find("scope 'grafana:read:dashboards' is declared but no render used it"),
            std::string::npos)
      << r.output;
}

TEST(PluginsValidate, DeclaredButUnusedScopeWarns) {
  auto r = run(validate(flaw("flaw_unused")));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("WARN flaw_unused: unused-scope: scope 'grafana:read:alerts' is "
                          "declared but no render used it; remove it from "),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("scope 'grafana:read:dashboards' is declared"), std::string::npos)
      << r.output;
}

TEST(PluginsValidate, ScriptStrippedBySanitizerWarns) {
  const auto junit = fs::temp_directory_path() / "validate-flaw-script.xml";
  auto r = run(validate(flaw("flaw_script"), "--junit " + junit.string()));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("WARN flaw-script [defaults] defaults: markup: the sanitizer removed "
                          "<script>"),
            std::string::npos)
      << r.output;
  std::ifstream in(junit);
  std::stringstream xml;
  xml << in.rdbuf();
  EXPECT_NE(xml.str().find("<system-out>[markup] the sanitizer removed &lt;script&gt;"),
            std::string::npos)
      << xml.str();
  fs::remove(junit);
}

// A bundle is verified as `plugins install` verifies it before anything of
// it runs: signed by an untrusted key it is refused (exit 2).
TEST(PluginsValidate, BundleIsVerifiedBeforeItRuns) {
  const auto dir = fs::temp_directory_path() / ("validate-bundle-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string cli = VITRINE_CLI_PATH;
  const auto key = (dir / "pub").string();
  const auto bundle = (dir / "hello.vitrine-plugin").string();
  ASSERT_EQ(run(cli + " plugins keygen --out " + key).status, 0);
  ASSERT_EQ(run(cli + " plugins pack " + VITRINE_PLUGINS_DIR + "/hello.yml --key " + key +
                ".key --out " + bundle)
                .status,
            0);
  auto untrusted = run(validate(bundle));
  EXPECT_EQ(untrusted.status, 2) << untrusted.output;
  EXPECT_NE(untrusted.output.find("[bundle-untrusted-key]"), std::string::npos) << untrusted.output;
  auto trusted = run(validate(bundle, "--trust-key " + key + ".pub"));
  EXPECT_EQ(trusted.status, 0) << trusted.output;
  EXPECT_NE(trusted.output.find("validate hello "), std::string::npos) << trusted.output;
  EXPECT_NE(trusted.output.find(": PASSED"), std::string::npos) << trusted.output;
  fs::remove_all(dir);
}

TEST(PluginsValidate, NoPluginIsAUsageError) {
  auto r = run(validate("/nonexistent/plugin"));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("does not exist"), std::string::npos) << r.output;
}

TEST(PluginsValidate, SimulatorThatDoesNotStartIsAnIOError) {
  auto r = run(std::string(VITRINE_CLI_PATH) + " plugins validate " + VITRINE_PLUGINS_DIR +
               "/hello.yml --simulator /bin/false --quiet");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("did not print a token"), std::string::npos) << r.output;
}

}  // namespace
