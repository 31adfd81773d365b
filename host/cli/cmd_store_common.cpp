// Shared plumbing of the store-backed commands: global options, opening the
// store with or without the master key, error output, the local actor name.
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/store_commands.h"
#include "store/store.h"

namespace vitrine::cli::store_detail {

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

std::unique_ptr<store::Store> open_store(const GlobalOptions& g, bool need_key, int& exit_code) {
  store::StoreOptions opts;
  opts.data_dir = g.data_dir;
  if (g.log_json) opts.log = &std::cerr;
  std::optional<std::filesystem::path> key_file;
  if (!g.key_file.empty()) key_file = g.key_file;
  if (need_key) {
    auto ring = store::crypto::Keyring::load(key_file);
    if (!ring) {
      fail(ring.error(), exit_code);
      return nullptr;
    }
    opts.keyring = std::move(*ring);
  }
  auto s = store::Store::open(std::move(opts));
  if (!s) {
    fail(s.error(), exit_code);
    return nullptr;
  }
  return std::move(*s);
}

}  // namespace vitrine::cli::store_detail

namespace vitrine::cli {

void add_store_commands(CLI::App& app, int& exit_code) {
  add_keys_commands(app, exit_code);
  add_spaces_commands(app, exit_code);
  add_tokens_commands(app, exit_code);
  add_audit_commands(app, exit_code);
}

}  // namespace vitrine::cli
