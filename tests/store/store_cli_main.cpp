// A test harness with exactly the store-backed commands, used by the CLI
// tests until they run against the real `vitrine` binary (see CMakeLists.txt).
#include <CLI/CLI.hpp>

#include "cli/store_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"vitrine store commands (test harness)"};
  app.name("vitrine");
  app.require_subcommand(1);
  int exit_code = 0;
  vitrine::cli::add_store_commands(app, exit_code);
  auto* plugins = app.add_subcommand("plugins", "Plugins");
  plugins->require_subcommand(1);
  vitrine::cli::add_plugin_admin_commands(*plugins, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
