// `vitrine serve --config vitrine.yml`: opens the runtime (store, plugins,
// license, metrics), builds the render engine and serves until SIGINT or
// SIGTERM, then stops accepting, lets requests in progress finish and waits
// for background refreshes.
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/server_commands.h"
#include "config/config.h"
#include "log/log.h"
#include "render/engine.h"
#include "runtime/runtime.h"
#include "server/server.h"
#include "store/crypto/private_file.h"

namespace vitrine::cli {
namespace {

// The /metrics scrape token: a private file (the keyring's rules,
// store/crypto/private_file.h) holding one token of 32 to 1024 printable
// characters; a trailing newline is ignored. On failure `error` says what
// to fix and the server does not start.
std::optional<std::string> read_metrics_token(const std::filesystem::path& file,
                                              std::string& error) {
  auto bytes = store::crypto::read_private_file(
      file, store::crypto::PrivateFile{"metrics token file", "server.metrics_token_file",
                                       "create it with 'openssl rand -hex 32' and chmod 600 it", "",
                                       4096});
  if (!bytes) {
    error = bytes.error().message;
    return std::nullopt;
  }
  std::string token(bytes->view());
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  const bool printable =
      std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (token.size() < 32 || token.size() > 1024 || !printable) {
    error = "metrics token file " + file.string() +
            ": the token must be 32 to 1024 printable characters without spaces, e.g. the "
            "output of 'openssl rand -hex 32'";
    return std::nullopt;
  }
  return token;
}

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

  server::ServerOptions so = server::options_from_config(cfg);
  if (!cfg.metrics_token_file.empty()) {
    auto token = read_metrics_token(cfg.metrics_token_file, error);
    if (!token) {
      std::cerr << "error: " << error << " (in " << config_path << ")\n";
      return 2;
    }
    so.metrics_token = std::move(*token);
  }
  server::Server srv(*rt, engine, so);
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
