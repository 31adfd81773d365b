// Each subcommand group registers itself on the root CLI11 app. A command's
// callback stores its process exit status in `exit_code`:
//   0 success, 1 a checked input is invalid / refused, 2 usage or I/O error,
//   3 denied (egress check).
#pragma once

namespace CLI {
class App;
}

namespace vitrine::cli {

void add_manifest_commands(CLI::App& app, int& exit_code);
void add_plugins_commands(CLI::App& app, int& exit_code);
void add_egress_commands(CLI::App& app, int& exit_code);
void add_license_commands(CLI::App& app, int& exit_code);
void add_render_command(CLI::App& app, int& exit_code);
// `spaces test`; call after add_store_commands (it adds to the spaces group).
void add_space_test_command(CLI::App& app, int& exit_code);
// `spaces dashboard-uses`; call after add_store_commands (cmd_freshness.cpp).
void add_freshness_commands(CLI::App& app, int& exit_code);
// `plugins pack` and `plugins keygen` (signed bundles), added to the `plugins`
// group by add_plugins_commands (cmd_bundle.cpp).
void add_bundle_commands(CLI::App& plugins_group, int& exit_code);
// `plugins validate` (conformance run), added to the `plugins` group by
// add_plugins_commands (cmd_plugin_validate.cpp).
void add_plugin_validate_command(CLI::App& plugins_group, int& exit_code);
// `plugins render` (the author's dev loop), added to the `plugins` group by
// add_plugins_commands (cmd_plugin_render.cpp).
void add_plugin_render_command(CLI::App& plugins_group, int& exit_code);

}  // namespace vitrine::cli
