// `vitrine spaces dashboard-uses SPACE UID --config vitrine.yml`: which
// pages of the space use a dashboard (docs/freshness.md), the same scan as
// the UI and the API. It needs the config for the running plugins' macro
// keys (what a page recognises as a macro); nothing is fetched.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/runtime_open.h"
#include "cli/store_commands.h"
#include "config/config.h"
#include "log/log.h"
#include "render/warm_scan.h"
#include "runtime/runtime.h"

namespace vitrine::cli {

void add_freshness_commands(CLI::App& app, int& exit_code) {
  CLI::App* spaces = app.get_subcommand("spaces");
  struct Options {
    std::string config;
    std::string space;
    std::string uid;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = spaces->add_subcommand("dashboard-uses",
                                     "List the pages and macros of a space that use a dashboard");
  cmd->add_option("space", o->space, "Space key")->required();
  cmd->add_option("uid", o->uid, "Dashboard uid")->required();
  cmd->add_option("--config", o->config, "vitrine.yml (data directory, plugins)")->required();
  const store_detail::GlobalOptions& global = store_detail::global_options(app);
  cmd->callback([o, &global, &exit_code] {
    if (!global.log_json) log::set_sink([](const std::string&) {});
    if (!render::is_dashboard_uid(o->uid)) {
      std::cerr << "error: a dashboard uid is 1 to 40 letters, digits, '-' or '_' (the part "
                   "after /d/ in a Grafana dashboard URL)\n";
      exit_code = 2;
      return;
    }
    auto opened = open_runtime(o->config);
    if (!opened.runtime) {
      exit_code = 2;
      return;
    }
    runtime::Runtime* rt = opened.runtime.get();
    const config::Config* cfg = opened.config.get();
    const auto uses = render::scan_space_pages(cfg->data_dir / "pages" / o->space, o->uid,
                                               rt->plugin_set()->macro_keys);
    for (const auto& u : uses) {
      std::cout << u.page << "\tmacro " << u.macro << "\t" << u.key << "\t" << u.param << "\tline "
                << u.line << "\n";
    }
    if (uses.empty()) std::cerr << "no page of space " << o->space << " uses " << o->uid << "\n";
    exit_code = 0;
  });
}

}  // namespace vitrine::cli
