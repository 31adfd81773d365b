// Admin commands backed by the store (docs/admin.md): keys, spaces and their
// Grafana tokens, admin API tokens, the audit log, and plugin approval /
// enablement. Each registers on the app it is given; global options
// --data-dir, --key-file and --log-json are added to the root app once.
// Exit status as in cli/commands.h: 0 ok, 1 refused / invalid / not found,
// 2 usage or I/O error.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace vitrine::store {
class Store;
struct Error;
}  // namespace vitrine::store

namespace vitrine::cli {

void add_keys_commands(CLI::App& app, int& exit_code);
void add_spaces_commands(CLI::App& app, int& exit_code);
void add_tokens_commands(CLI::App& app, int& exit_code);
void add_users_commands(CLI::App& app, int& exit_code);  // cmd_users.cpp
void add_audit_commands(CLI::App& app, int& exit_code);
void add_backup_commands(CLI::App& app, int& exit_code);  // backup, restore
// `vitrine store check`: full database integrity check (cmd_store_check.cpp).
void add_store_check_command(CLI::App& app, int& exit_code);
// store migrate (cmd_store_migrate.cpp): SQLite into a new PostgreSQL database.
void add_store_migrate_command(CLI::App& app, int& exit_code);
// embed origins, share-links create|list|revoke (cmd_share_links.cpp).
void add_embed_commands(CLI::App& app, int& exit_code);
// All four above.
void add_store_commands(CLI::App& app, int& exit_code);
// approve / enable / disable / approvals, added to the existing `plugins` group.
void add_plugin_admin_commands(CLI::App& plugins_group, int& exit_code);
// install / approve / rollback / status / trust, added to the `plugins` group.
void add_plugin_lifecycle_commands(CLI::App& plugins_group, int& exit_code);
// usage (least-privilege report, cmd_plugin_usage.cpp), added to the `plugins` group.
void add_plugin_usage_command(CLI::App& plugins_group, int& exit_code);
// The least-privilege summary of the version of `plugin_id` that runs now
// (its never-used scopes and egress entries); empty when none runs.
std::vector<std::string> running_usage_summary(store::Store& s, const std::string& plugin_id);

namespace store_detail {

struct GlobalOptions {
  std::string data_dir = "./vitrine-data";
  std::string key_file;   // empty: VITRINE_MASTER_KEY
  bool log_json = false;  // JSON-lines log on stderr
  // A PostgreSQL store (as the config's store.url and store.password_file);
  // empty: SQLite in data_dir.
  std::string store_url;
  std::string store_password_file;
};

// Adds the global options to the root of `app` (once) and returns them.
GlobalOptions& global_options(CLI::App& app);
// The `store` command group (database maintenance), made by whichever
// store command is added first.
CLI::App& store_group(CLI::App& app);
// Opens the store; with need_key the keyring is loaded (and must load).
// On failure prints the error and sets exit_code; returns null.
std::unique_ptr<store::Store> open_store(const GlobalOptions& g, bool need_key, int& exit_code);
// Prints "error: MESSAGE" and sets the exit status for the error's kind.
void fail(const store::Error& e, int& exit_code);
// "cli:<user name>": who the audit log names for local commands.
std::string local_actor();

}  // namespace store_detail
}  // namespace vitrine::cli
