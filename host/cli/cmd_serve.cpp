// `vitrine serve --config vitrine.yml`: opens the runtime (store, plugins,
// license, metrics), builds the render engine and serves until SIGINT or
// SIGTERM, then stops accepting, cancels the page views in progress (they
// answer with what they have), drops queued renders and lets running ones
// finish, all within the shutdown grace.
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>

#include "cli/server_commands.h"
#include "config/config.h"
#include "log/log.h"
#include "render/engine.h"
#include "runtime/runtime.h"
#include "server/server.h"
#include "store/crypto/private_file.h"
#include "store/data_dir_lock.h"
#include "store/store.h"

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

// --init: the one way to start with an empty database in a data directory
// that was initialised before (Store::open refuses it otherwise). Creates
// the database; the runtime then opens it like any other.
bool init_store(const config::Config& cfg) {
  store::StoreOptions so;
  so.data_dir = cfg.data_dir;
  so.backend = cfg.store_backend;
  so.url = cfg.store_url;
  so.password_file = cfg.store_password_file;
  so.allow_init = true;
  auto s = store::Store::open(std::move(so));
  if (!s) std::cerr << "error: " << s.error().message << "\n";
  return static_cast<bool>(s);
}

int serve(const std::string& config_path, bool init) {
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

  // One server per data directory, taken before the store opens and held
  // until serve() returns; a second server refuses to start.
  auto dir_lock = store::DataDirLock::acquire(cfg.data_dir);
  if (!dir_lock) {
    std::cerr << "error: " << dir_lock.error().message << " (in " << config_path << ")\n";
    return 2;
  }
  if (auto stale = dir_lock->stale_pid()) {
    log::warn("server.lock_taken_over",
              {{"lock_file", dir_lock->path().string()},
               {"previous_pid", std::to_string(*stale)},
               {"message",
                "the previous server stopped without releasing the data directory "
                "(crash or kill -9); this server took it over"}});
  }

  if (init && !init_store(cfg)) return 2;
  std::string error;
  auto rt = runtime::Runtime::open(cfg, error);
  if (!rt) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  for (const auto& w : rt->warnings()) log::warn("runtime.warning", {{"message", w}});
  rt->start_reconciler();

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
  if (!cfg.auth.oidc.client_secret_file.empty()) {
    auto secret = store::crypto::read_private_file(
        cfg.auth.oidc.client_secret_file,
        store::crypto::PrivateFile{"OpenID client secret file", "auth.oidc.client_secret_file",
                                   "write the client secret the provider issued into it and "
                                   "chmod 600 it",
                                   "", 4096});
    if (!secret) {
      std::cerr << "error: " << secret.error().message << " (in " << config_path << ")\n";
      return 2;
    }
    so.oidc_client_secret = std::string(secret->view());
    while (!so.oidc_client_secret.empty() &&
           (so.oidc_client_secret.back() == '\n' || so.oidc_client_secret.back() == '\r')) {
      so.oidc_client_secret.pop_back();
    }
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
  // One grace for the whole shutdown (server.shutdown_grace_s): the
  // listener cancels the views in progress and abandons handlers still
  // running at the end of it; the engine then drops queued renders and
  // waits for running ones, each bounded by its deadline in worker mode.
  // An in-process plugin that ignores its deadline cannot be interrupted,
  // so past the grace the process exits without it.
  const auto stop_by =
      std::chrono::steady_clock::now() + std::chrono::seconds(cfg.shutdown_grace_s);
  srv.stop();
  auto engine_stopped = std::async(std::launch::async, [&engine] { engine.stop(); });
  if (engine_stopped.wait_until(stop_by) != std::future_status::ready) {
    log::error("server.shutdown_grace_exceeded",
               {{"grace_s", std::to_string(cfg.shutdown_grace_s)},
                {"what", "renders still running at the end of the grace; exiting without them"}});
    log::set_buffered(false);
    std::_Exit(1);
  }
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
  auto init = std::make_shared<bool>(false);
  cmd->add_flag("--init", *init,
                "Start with an empty database even though the data directory was initialised "
                "before (its vitrine.db is missing or empty)");
  cmd->callback([config_path, init, &exit_code] { exit_code = serve(*config_path, *init); });
}

}  // namespace vitrine::cli
