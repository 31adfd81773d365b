// Shared plumbing of the store-backed commands: global options, opening the
// store with or without the master key, error output, the local actor name.
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/store_commands.h"
#include "store/sqlite/sqlite_backend.h"
#include "store/store.h"

namespace vitrine::cli::store_detail {

CLI::App& store_group(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == "store") return *sub;
  }
  CLI::App* group = app.add_subcommand("store", "Database maintenance");
  group->require_subcommand(1);
  group->fallthrough();
  return *group;
}

GlobalOptions& global_options(CLI::App& app) {
  static GlobalOptions options;
  CLI::App* root = &app;
  while (root->get_parent() != nullptr) root = root->get_parent();
  if (root->get_option_no_throw("--data-dir") == nullptr) {
    root->add_option("--data-dir", options.data_dir,
                     "Data directory holding the database (default ./vitrine-data)");
    root->add_option("--key-file", options.key_file,
                     "Keyring file (mode 0600); without it VITRINE_MASTER_KEY is used");
    root->add_flag("--log-json", options.log_json, "Write the JSON-lines log to stderr");
    root->add_option("--store-url", options.store_url,
                     "PostgreSQL store (postgres://USER@HOST:PORT/DB?sslmode=...); default: "
                     "SQLite in --data-dir");
    root->add_option("--store-password-file", options.store_password_file,
                     "File (mode 0600) with the password of --store-url");
  }
  return options;
}

void fail(const store::Error& e, int& exit_code) {
  std::cerr << "error: " << e.message << "\n";
  exit_code = e.code == store::Errc::io ? 2 : 1;
}

std::string local_actor() {
  const passwd* pw = getpwuid(geteuid());
  return std::string("cli:") + (pw != nullptr ? pw->pw_name : std::to_string(geteuid()));
}

namespace {

// How long a command waits for the database while a server or another
// command writes. Longer than the server's 5 s: a command that waits a
// little beats one that fails. VITRINE_CLI_BUSY_TIMEOUT_MS overrides it.
constexpr std::chrono::milliseconds kCliBusyTimeout{30000};

std::chrono::milliseconds cli_busy_timeout() {
  if (const char* env = std::getenv("VITRINE_CLI_BUSY_TIMEOUT_MS")) {
    char* end = nullptr;
    const long long ms = std::strtoll(env, &end, 10);
    if (end != env && *end == '\0' && ms > 0) return std::chrono::milliseconds(ms);
  }
  return kCliBusyTimeout;
}

// One attempt. The keyring is loaded each time: Store::open consumes it.
store::Result<std::unique_ptr<store::Store>> open_store_once(const GlobalOptions& g,
                                                             bool need_key) {
  store::StoreOptions opts;
  opts.data_dir = g.data_dir;
  if (!g.store_url.empty()) {
    opts.backend = "postgres";
    opts.url = g.store_url;
    opts.password_file = g.store_password_file;
  }
  if (g.log_json) opts.log = &std::cerr;
  std::optional<std::filesystem::path> key_file;
  if (!g.key_file.empty()) key_file = g.key_file;
  if (need_key) {
    auto ring = store::crypto::Keyring::load(key_file);
    if (!ring) return ring.error();
    opts.keyring = std::move(*ring);
    opts.key_file = key_file;
  }
  return store::Store::open(std::move(opts));
}

}  // namespace

std::unique_ptr<store::Store> open_store(const GlobalOptions& g, bool need_key, int& exit_code) {
  // Every write of this command waits up to the deadline for the write
  // lock (the backend's busy handler), and opening, which may write (schema
  // migrations, key checks), is retried until the same deadline: a busy
  // database never fails a command early.
  const auto timeout = cli_busy_timeout();
  store::set_busy_timeout(timeout);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto s = open_store_once(g, need_key);
    if (s) return std::move(*s);
    if (!store::is_busy_error(s.error()) || std::chrono::steady_clock::now() >= deadline) {
      fail(s.error(), exit_code);
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace vitrine::cli::store_detail

namespace vitrine::cli {

void add_store_commands(CLI::App& app, int& exit_code) {
  add_keys_commands(app, exit_code);
  add_spaces_commands(app, exit_code);
  add_tokens_commands(app, exit_code);
  add_users_commands(app, exit_code);
  add_audit_commands(app, exit_code);
  add_backup_commands(app, exit_code);
  add_store_check_command(app, exit_code);
  add_store_migrate_command(app, exit_code);
  add_embed_commands(app, exit_code);
}

}  // namespace vitrine::cli
