// `vitrine spaces test SPACE --config vitrine.yml`: the connection test of
// the space-settings page, from the command line. It needs the config (not
// only the data directory) because the request goes out through the same
// egress path as every plugin fetch: CA bundle, resolver overrides,
// timeouts. The result is audited like the UI's. The answer is one line;
// the runtime's JSON log (plugin imports, worker starts) only goes to stderr
// with --log-json, as for the other store commands.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/runtime_open.h"
#include "cli/store_commands.h"
#include "config/config.h"
#include "log/log.h"
#include "runtime/runtime.h"

namespace vitrine::cli {

void add_space_test_command(CLI::App& app, int& exit_code) {
  CLI::App* spaces = app.get_subcommand("spaces");
  struct Options {
    std::string config;
    std::string space;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = spaces->add_subcommand(
      "test", "Test the space's Grafana connection with its token (as the settings page does)");
  cmd->add_option("space", o->space, "Space key")->required();
  cmd->add_option("--config", o->config, "vitrine.yml (egress settings, data directory, key)")
      ->required();
  const store_detail::GlobalOptions& global = store_detail::global_options(app);
  cmd->callback([o, &global, &exit_code] {
    if (!global.log_json) log::set_sink([](const std::string&) {});
    auto opened = open_runtime(o->config);
    if (!opened.runtime) {
      exit_code = 2;
      return;
    }
    runtime::Runtime* rt = opened.runtime.get();
    const auto r = rt->test_connection(store_detail::local_actor(), o->space);
    if (r.ok) {
      std::cout << "ok: " << r.message << "\n";
      exit_code = 0;
      return;
    }
    std::cerr << "error: " << r.message << "\n";
    exit_code = 1;
  });
}

}  // namespace vitrine::cli
