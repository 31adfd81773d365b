#include "host_fixture.h"

#include <cstdlib>
#include <fstream>

#include "plugins/loader.h"
#include "token.h"

namespace vitrine::testing {

namespace fs = std::filesystem;

void HostFixture::SetUp() {
  dir_ =
      fs::temp_directory_path() / ("vitrine-it-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir_);
  fs::create_directories(dir_ / "data");
  // 32 zero-free bytes, base64: a test key, never a real one.
  ::setenv("VITRINE_MASTER_KEY", "dGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY=", 1);

  token_ = sim::token_from_seed("integration");
  sim::SimulatorConfig sc;
  sc.self_signed_dir = (dir_ / "tls").string();
  sc.hostnames = {"demo.grafana.net", "other.grafana.net"};
  sc.tokens = {token_};
  sim_ = std::make_unique<sim::Simulator>(sc);
  sim_->start();

  config_.data_dir = dir_ / "data";
  config_.plugins_dir = VITRINE_PLUGINS_DIR;
  config_.plugin_mode = "in-process";
  config_.extra_ca_file = sim_->ca_file();
  config_.resolve = {{"demo.grafana.net", "127.0.0.1", sim_->port()},
                     {"other.grafana.net", "127.0.0.1", sim_->port()}};
  config_.macro_deadline_ms = 5000;
  config_.connect_timeout_ms = 2000;
  config_.handshake_timeout_ms = 2000;
  config_.fetch_timeout_ms = 4000;
  reopen();

  // A platform admin approves the bundled plugins and connects the space;
  // a space admin sets the token and enables them.
  auto& st = rt_->store();
  auto found = plugins::discover_plugins(VITRINE_PLUGINS_DIR);
  for (const auto& m : found.manifests) ASSERT_TRUE(st.approvals().approve("admin", m).ok());
  ASSERT_TRUE(st.spaces().create("admin", "demo", "Demo").ok());
  store::ConnectRequest req;
  req.origin = "https://demo.grafana.net";
  auto connected = st.spaces().connect("admin", "demo", req);
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  ASSERT_TRUE(st.spaces().set_token("admin", "demo", store::crypto::SecretString(token_)).ok());
  for (const auto& m : found.manifests) {
    ASSERT_TRUE(st.approvals().enable("admin", "demo", m.id).ok());
  }
  reopen();
}

void HostFixture::reopen(const std::string& plugin_mode) {
  engine_.reset();
  rt_.reset();
  config_.plugin_mode = plugin_mode;
  std::string error;
  rt_ = runtime::Runtime::open(config_, error);
  ASSERT_NE(rt_, nullptr) << error;
  render::EngineOptions eo;
  eo.threads = 8;
  eo.macro_deadline_ms = config_.macro_deadline_ms;
  engine_ = std::make_unique<render::Engine>(*rt_, eo);
}

void HostFixture::TearDown() {
  if (engine_) engine_->drain();
  engine_.reset();
  rt_.reset();
  if (sim_) sim_->stop();
  fs::remove_all(dir_);
}

std::string HostFixture::page(const std::string& markdown, render::PageOutcome* out) {
  render::MacroCall defaults;
  defaults.time_from = "2024-05-27T00:00:00Z";
  defaults.time_to = "2024-06-04T00:00:00Z";
  auto p = engine_->render_page("demo", "test", markdown, defaults);
  if (out != nullptr) *out = *p;
  return p->body_html;
}

std::string HostFixture::write_config(const std::string& plugin_mode,
                                      const std::string& extra) const {
  const auto file = dir_ / "vitrine.yml";
  std::ofstream out(file);
  out << "data_dir: " << config_.data_dir.string() << "\n"
      << "plugins_dir: " << config_.plugins_dir.string() << "\n"
      << "plugins:\n  mode: " << plugin_mode << "\n";
  if (plugin_mode == "worker") out << "  worker_path: " << VITRINE_WORKER_PATH << "\n";
  out << "egress:\n  extra_ca_file: " << config_.extra_ca_file.string() << "\n  resolve:\n";
  for (const auto& r : config_.resolve) {
    out << "    - host: " << r.host << "\n      address: " << r.address
        << "\n      port: " << r.port << "\n";
  }
  out << extra;
  return file.string();
}

}  // namespace vitrine::testing
