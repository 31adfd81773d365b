// The plugin author's dev loop through the real binary and the Grafana
// simulator: `vitrine plugins render --config C --space S` renders through
// the space's real fetch path, in a worker unless --in-process, and says
// which; the --plugins-dir form says no space is configured; a crash is a
// sentence and exit 3, never a bare 139. And plugin development mode
// (plugins.development): the named plugins bypass every render cache.
#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "host_fixture.h"
#include "log/log.h"
#include "plugins/loader.h"
#include "sim_context.h"
#include "support/shell_run.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace vitrine::testing {
namespace {

using test_support::Run;
using test_support::run;

class PluginsDevLoop : public HostFixture {
 protected:
  std::string cli() const { return VITRINE_CLI_PATH; }

  // The probe plugin installed, approved and enabled in space demo; returns
  // a config whose plugins_dir holds it.
  std::string with_probe(const std::string& mode) {
    config_.plugins_dir = PROBE_PLUGIN_DIR;
    reopen();
    auto found = plugins::discover_plugins(PROBE_PLUGIN_DIR);
    EXPECT_EQ(found.manifests.size(), 1u);
    for (const auto& m : found.manifests) {
      EXPECT_TRUE(rt_->store().approvals().approve("admin", m).ok());
      EXPECT_TRUE(rt_->store().approvals().enable("admin", "demo", m.id).ok());
    }
    return write_config(mode);
  }
};

TEST_F(PluginsDevLoop, RenderThroughASpaceFetchesFromItsGrafanaInAWorkerByDefault) {
  const auto r = run(cli() + " plugins render --config " + write_config() +
                     " --space demo dashboard --param dashboard=svc-checkout");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("in a worker for space 'demo' (Grafana "
                                  "https://demo.grafana.net)"));
  // The dashboard's title came from the simulator through the egress path.
  EXPECT_THAT(r.output, HasSubstr("Checkout service"));
  EXPECT_THAT(r.output, Not(HasSubstr(token_)));  // P4: the token never shows
}

TEST_F(PluginsDevLoop, InProcessOnlyWhenAskedAndSaysSo) {
  const auto r = run(cli() + " plugins render --config " + write_config("worker") +
                     " --space demo --in-process dashboard --param dashboard=svc-checkout");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("in-process for space 'demo'"));
  EXPECT_THAT(r.output, HasSubstr("Checkout service"));
}

TEST_F(PluginsDevLoop, ThePluginsDirFormSaysThereIsNoSpace) {
  const auto r = run(cli() + " plugins render --plugins-dir " + VITRINE_PLUGINS_DIR +
                     " hello --param name=dev");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("in-process with no space configured"));
  EXPECT_THAT(r.output, HasSubstr("Hello, dev!"));
}

TEST_F(PluginsDevLoop, UnknownSpaceAndMissingSpaceSayWhatIsWrong) {
  const auto config = write_config();
  const auto unknown = run(cli() + " plugins render --config " + config + " --space nope hello");
  EXPECT_EQ(unknown.status, 2) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("there is no space 'nope'"));
  const auto missing = run(cli() + " plugins render --config " + config + " hello");
  EXPECT_EQ(missing.status, 2) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("--config needs --space"));
}

TEST_F(PluginsDevLoop, worker_crashed_ACrashInAWorkerIsReportedInWords) {
  const auto r = run(cli() + " plugins render --config " + with_probe("worker") +
                     " --space demo probe --param case=crash");
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("error: the plugin 'cap_probe' crashed (SIGABRT) while "
                                  "rendering 'probe'"));
  EXPECT_THAT(r.output, HasSubstr("[worker-crashed]"));
}

TEST_F(PluginsDevLoop, ACrashInProcessIsReportedInWordsNotExit139) {
  const auto r = run(cli() + " plugins render --config " + with_probe("worker") +
                     " --space demo --in-process probe --param case=crash");
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("error: the plugin 'cap_probe' crashed (SIGABRT) while "
                                  "rendering 'probe' in-process"));
  const auto bare = run(cli() + " plugins render --plugins-dir " + PROBE_PLUGIN_DIR +
                        " probe --param case=crash");
  EXPECT_EQ(bare.status, 3) << bare.output;
  EXPECT_THAT(bare.output, HasSubstr("the plugin 'cap_probe' crashed (SIGABRT)"));
}

TEST_F(PluginsDevLoop, ThroughASpaceHttpWorksWhereThePluginsDirFormHasNoHost) {
  // The same probe call: through the space it reaches the simulator with
  // the space's token; without a host the capability says why it is
  // unavailable.
  const auto spaced = run(cli() + " plugins render --config " + with_probe("worker") +
                          " --space demo probe --param case=http --param "
                          "url=https://demo.grafana.net/api/search");
  ASSERT_EQ(spaced.status, 0) << spaced.output;
  EXPECT_THAT(spaced.output, HasSubstr("status=0 rule= reason="));
  const auto bare = run(cli() + " plugins render --plugins-dir " + PROBE_PLUGIN_DIR +
                        " probe --param case=http --param url=https://demo.grafana.net/");
  ASSERT_EQ(bare.status, 0) << bare.output;
  EXPECT_THAT(bare.output, HasSubstr("status=4 rule= reason=this capability is not offered here"));
}

TEST_F(PluginsDevLoop, egress_connection_reset_ASimulatorResetIsUnavailableInBothModes) {
  // The simulator's reset fault (TCP reset after reading the request, no
  // response byte) maps to VITRINE_E_UNAVAILABLE, as docs/plugin-abi.md
  // says, in a worker and in-process alike.
  const auto config = with_probe("worker");
  sim::FaultRule reset;
  reset.mode = sim::FaultMode::kReset;
  sim_->context().faults.add(reset);
  for (const std::string mode : {"", " --in-process"}) {
    const auto r = run(cli() + " plugins render --config " + config + " --space demo" + mode +
                       " probe --param case=http --param url=https://demo.grafana.net/api/search");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("status=4 rule=egress-connection-reset reason=")) << mode;
  }
}

// ---------------------------------------------------------------- dev mode

class PluginDevelopmentMode : public HostFixture {
 protected:
  void SetUp() override {
    HostFixture::SetUp();
    log::set_sink([this](const std::string& line) {
      std::lock_guard lock(mu_);
      lines_.push_back(line);
    });
  }
  void TearDown() override {
    log::set_sink(nullptr);
    HostFixture::TearDown();
  }
  int logged(const std::string& event) {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& l : lines_) n += l.find("\"event\":\"" + event + "\"") != std::string::npos;
    return n;
  }
  std::string line_of(const std::string& event) {
    std::lock_guard lock(mu_);
    for (const auto& l : lines_) {
      if (l.find("\"event\":\"" + event + "\"") != std::string::npos) return l;
    }
    return "";
  }
  std::mutex mu_;
  std::vector<std::string> lines_;
};

constexpr const char* kTwoPlugins =
    "# Dev\n\n```dashboard\ndashboard: svc-checkout\n```\n\n```hello\nname: dev\n```\n\n"
    "```alert-list\n```\n";

TEST_F(PluginDevelopmentMode, TheNamedPluginBypassesEveryCacheOnEveryView) {
  render::EngineOptions eo;
  eo.macro_deadline_ms = config_.macro_deadline_ms;
  eo.development_plugins = {"dashboard"};
  engine_.reset();
  engine_ = std::make_unique<render::Engine>(*rt_, eo);
  EXPECT_EQ(logged("render.development_mode"), 1);
  EXPECT_THAT(line_of("render.development_mode"), HasSubstr("\"plugins\":\"dashboard\""));

  render::PageOutcome first, second;
  page(kTwoPlugins, &first);
  page(kTwoPlugins, &second);
  ASSERT_EQ(second.macros.size(), 3u);
  EXPECT_EQ(first.macros[0].state, render::MacroState::fresh) << first.macros[0].error;
  // The plugin under development renders again; the others come from cache.
  EXPECT_EQ(second.macros[0].state, render::MacroState::fresh) << second.macros[0].error;
  EXPECT_EQ(second.macros[2].state, render::MacroState::cached) << second.macros[2].error;
  EXPECT_EQ(logged("render.development_mode"), 1) << "logged once, at start";
}

TEST_F(PluginDevelopmentMode, WithoutItTheSamePageIsCached) {
  render::PageOutcome first, second;
  page(kTwoPlugins, &first);
  page(kTwoPlugins, &second);
  ASSERT_EQ(second.macros.size(), 3u);
  EXPECT_EQ(second.macros[0].state, render::MacroState::cached);
  EXPECT_EQ(logged("render.development_mode"), 0);
}

TEST_F(PluginDevelopmentMode, TheConfigKeyReachesTheEngine) {
  std::ofstream(dir_ / "dev.yml") << "data_dir: " << config_.data_dir.string()
                                  << "\nplugins:\n  development: [dashboard, hello]\n";
  auto loaded = config::load_config(dir_ / "dev.yml");
  ASSERT_TRUE(loaded.config.has_value());
  EXPECT_EQ(render::EngineOptions::from(*loaded.config).development_plugins,
            (std::vector<std::string>{"dashboard", "hello"}));
  std::ofstream(dir_ / "bad.yml") << "plugins:\n  development: [Not-An-Id]\n";
  auto bad = config::load_config(dir_ / "bad.yml");
  EXPECT_FALSE(bad.config.has_value());
  ASSERT_FALSE(bad.diagnostics.empty());
  EXPECT_EQ(bad.diagnostics[0].rule, "config-plugin-id");
}

}  // namespace
}  // namespace vitrine::testing
