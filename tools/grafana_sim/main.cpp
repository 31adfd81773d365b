// vitrine-grafana-sim: command line entry point. See docs/simulator.md.
#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <iostream>
#include <sstream>
#include <thread>

#include "faults.h"
#include "json_log.h"
#include "simulator.h"
#include "token.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vitrine::sim;
  CLI::App app{"vitrine-grafana-sim: a fake Grafana Cloud stack over HTTPS, with fault injection"};
  SimulatorConfig cfg;
  std::string hostnames = "grafana.test,localhost";
  std::string print_token_seed;
  std::string fault_mode;
  std::string fault_paths;
  std::string log_level = "info";
  int latency_ms = 0;
  double fault_rate = -1.0;
  std::uint64_t fault_seed = 1;
  int fault_status = 500;
  int drip_ms = 50;
  std::uint64_t size_bytes = 64ULL * 1024 * 1024;

  app.add_option("--port", cfg.port, "HTTPS port (0 = ephemeral)")->capture_default_str();
  app.add_option("--bind", cfg.bind, "address to listen on (loopback unless you mean it)")
      ->capture_default_str();
  app.add_option("--cert", cfg.cert_file, "server certificate (PEM)");
  app.add_option("--key", cfg.key_file, "server private key (PEM)");
  app.add_option("--self-signed-dir", cfg.self_signed_dir,
                 "generate ca.pem, cert.pem, key.pem here (CA reused if present)");
  app.add_option("--hostname", hostnames, "comma-separated names for the generated certificate")
      ->capture_default_str();
  app.add_option("--token", cfg.tokens, "valid service-account token (repeatable)");
  app.add_option("--admin-port", cfg.admin_port,
                 "loopback HTTP port for the admin API (0 = ephemeral; off when absent)");
  app.add_option("--ready-file", cfg.ready_file,
                 "write \"port admin_port\\n\" here when listening");
  app.add_option("--fixtures", cfg.fixtures_dir,
                 "fixture directory (default: $VITRINE_SIM_FIXTURES, else the installed "
                 "fixtures beside this binary, else the source tree's)")
      ->default_str(default_fixtures_dir());
  app.add_option("--grafana-version", cfg.grafana_version, "Grafana major version to imitate")
      ->check(CLI::IsMember({9, 10, 11}))
      ->capture_default_str();
  app.add_option("--latency-ms", latency_ms, "add this latency to every request");
  app.add_option("--fault", fault_mode,
                 "latency|error|error-rate|truncated|oversized|slow-drip|reset|renderer-missing|"
                 "render-429|render-500");
  app.add_option("--fault-paths", fault_paths, "comma-separated path prefixes for --fault");
  app.add_option("--fault-rate", fault_rate, "probability for --fault (error-rate default 0.5)");
  app.add_option("--fault-seed", fault_seed, "seed for --fault-rate")->capture_default_str();
  app.add_option("--fault-status", fault_status, "status for --fault error")->capture_default_str();
  app.add_option("--drip-ms", drip_ms, "delay between bytes for slow-drip")->capture_default_str();
  app.add_option("--size-bytes", size_bytes, "body size for oversized")->capture_default_str();
  app.add_option("--log-level", log_level, "debug|info|warn|error|off")->capture_default_str();
  app.add_option("--print-token", print_token_seed,
                 "print the valid-format token derived from SEED and exit");
  CLI11_PARSE(app, argc, argv);

  if (!print_token_seed.empty()) {
    std::cout << token_from_seed(print_token_seed) << '\n';
    return 0;
  }
  try {
    set_log_level(parse_log_level(log_level));
    cfg.hostnames = split(hostnames);
    if (latency_ms > 0) {
      FaultRule latency;
      latency.mode = FaultMode::kLatency;
      latency.latency_ms = latency_ms;
      cfg.faults.push_back(latency);
    }
    if (!fault_mode.empty()) {
      FaultRule rule;
      bool error_rate = false;
      rule.mode = parse_fault_mode(fault_mode, &error_rate);
      rule.rate = fault_rate >= 0.0 ? fault_rate : (error_rate ? 0.5 : 1.0);
      rule.seed = fault_seed;
      rule.latency_ms = latency_ms;
      rule.status = fault_status;
      rule.drip_ms = drip_ms;
      rule.size_bytes = size_bytes;
      rule.paths = split(fault_paths);
      if (rule.mode != FaultMode::kLatency) cfg.faults.push_back(rule);
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    Simulator sim(cfg);
    sim.start();
    while (g_stop == 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    log_event(LogLevel::kInfo, "stopping");
    sim.stop();
  } catch (const std::exception& e) {
    log_event(LogLevel::kError, "cannot run the simulator", {{"error", e.what()}});
    std::cerr << "vitrine-grafana-sim: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
