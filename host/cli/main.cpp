// `vitrine`: the single binary platform admins run. Subcommands live one
// group per file (cmd_*.cpp); this file only wires them together.
#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/secret_args.h"
#include "cli/server_commands.h"
#include "cli/store_commands.h"
#include "vitrine/plugin.h"
#include "vitrine_version.h"

int main(int argc, char** argv) {
  // Before anything can print: usage errors repeat unexpected arguments, and
  // a token pasted on the command line must not come back (secret_args.h).
  std::optional<vitrine::cli::RedactedOutput> redacted;
  if (auto secrets = vitrine::cli::secret_arguments(argc, argv); !secrets.empty()) {
    redacted.emplace(std::move(secrets));
  }
  CLI::App app{"Vitrine: Grafana content in documentation pages, through audited renderer plugins"};
  app.name("vitrine");
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("--version", show_version, "Print the version and the plugin ABI version");

  int exit_code = 0;
  vitrine::cli::add_manifest_commands(app, exit_code);
  vitrine::cli::add_plugins_commands(app, exit_code);
  vitrine::cli::add_egress_commands(app, exit_code);
  vitrine::cli::add_license_commands(app, exit_code);
  vitrine::cli::add_render_command(app, exit_code);
  vitrine::cli::add_serve_command(app, exit_code);
  vitrine::cli::add_store_commands(app, exit_code);
  vitrine::cli::add_space_test_command(app, exit_code);
  vitrine::cli::add_freshness_commands(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help/usage itself; usage errors are exit 2 everywhere.
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (show_version) {
    std::cout << "vitrine " << VITRINE_VERSION << " (plugin ABI " << VITRINE_ABI_MAJOR << "."
              << VITRINE_ABI_MINOR << "." << VITRINE_ABI_PATCH << ")\n";
    return 0;
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
    return 2;
  }
  return exit_code;
}
