// `vitrine serve --config vitrine.yml`: opens the runtime (store, plugins,
// license, metrics), builds the render engine and serves until SIGINT or
// SIGTERM, then stops accepting, lets requests in progress finish and waits
// for background refreshes.
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/server_commands.h"
#include "config/config.h"
#include "log/log.h"
#include "render/engine.h"
#include "runtime/runtime.h"
#include "server/server.h"

namespace vitrine::cli {
namespace {

int serve(const std::string& config_path) {
  auto loaded = config::load_config(config_path);
  if (!loaded.config) {
    for (const auto& d : loaded.diagnostics) std::cerr << manifest::format(d) << "\n";
    return 2;
  }
  const config::Config& cfg = *loaded.config;

  // Block the stop signals before any thread starts: every thread inherits
  // the mask, so only sigwait() below receives them, never a pool thread in
  // the middle of a request.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::string error;
  auto rt = runtime::Runtime::open(cfg, error);
  if (!rt) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  for (const auto& w : rt->warnings()) log::warn("runtime.warning", {{"message", w}});

  render::EngineOptions eo = render::EngineOptions::from(cfg);
  render::Engine engine(*rt, eo);

  server::Server srv(*rt, engine, server::options_from_config(cfg));
  try {
    srv.start();
  } catch (const std::exception& e) {
    // The message names the address, the reason and what to change.
    std::cerr << "error: " << e.what() << " (in " << config_path << ")\n";
    return 2;
  }
  const std::string address = cfg.listen_host + ":" + std::to_string(srv.port());
  log::info("server.listening", {{"address", address}, {"url", srv.base_url()}});
  std::cout << "vitrine: serving on " << srv.base_url() << std::endl;
  // From here on one log line per request: batch the writes (log.h).
  log::set_buffered(true);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::info("server.stopping", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  srv.stop();
  engine.drain();
  log::info("server.stopped", {});
  log::set_buffered(false);
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto config_path = std::make_shared<std::string>("vitrine.yml");
  auto* cmd = app.add_subcommand("serve", "Run the HTTP server: pages, render API, admin API, UI");
  cmd->add_option("--config", *config_path, "vitrine.yml (see vitrine.example.yml)")
      ->capture_default_str();
  cmd->callback([config_path, &exit_code] { exit_code = serve(*config_path); });
}

}  // namespace vitrine::cli
