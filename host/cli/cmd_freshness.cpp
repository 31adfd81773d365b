// `vitrine spaces dashboard-uses SPACE UID --config vitrine.yml`: which
// pages of the space use a dashboard (docs/freshness.md), the same scan as
// the UI and the API. It needs the config for the running plugins' macro
// keys (what a page recognises as a macro); nothing is fetched.
//
// `vitrine spaces warming SPACE [--off | --hourly | --every 30m]`: show or
// set the space's scheduled cache warming (store/warm_schedules.h); a
// running server warms the space when it is due.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/runtime_open.h"
#include "cli/store_commands.h"
#include "config/config.h"
#include "log/log.h"
#include "render/warm_scan.h"
#include "runtime/runtime.h"
#include "store/report.h"
#include "store/store.h"
#include "store/warm_schedules.h"

namespace vitrine::cli {
namespace {

std::string when(int64_t ms) { return ms == 0 ? "never" : store::format_time(ms); }

void add_warming_command(CLI::App& spaces, int& exit_code) {
  struct Options {
    std::string space;
    bool off = false;
    bool hourly = false;
    std::string every;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = spaces.add_subcommand(
      "warming", "Show or set a space's scheduled cache warming (off, hourly, every N)");
  cmd->add_option("space", o->space, "Space key")->required();
  auto* off = cmd->add_flag("--off", o->off, "Turn scheduled warming off");
  auto* hourly = cmd->add_flag("--hourly", o->hourly, "Warm every page of the space every hour");
  auto* every = cmd->add_option("--every", o->every,
                                "Warm at this interval: 30m, 2h, 1d (5 minutes to 7 days)");
  off->excludes(hourly)->excludes(every);
  hourly->excludes(every);
  store_detail::GlobalOptions& global = store_detail::global_options(*spaces.get_parent());
  cmd->callback([o, &global, &exit_code] {
    auto s = store_detail::open_store(global, false, exit_code);
    if (!s) return;
    store::WarmSchedules schedules(s->context());
    if (o->off || o->hourly || !o->every.empty()) {
      std::string mode = o->off ? "off" : o->hourly ? "hourly" : "custom";
      int64_t interval_s = 0;
      if (!o->every.empty()) {
        auto parsed = store::parse_warm_interval(o->every);
        if (!parsed.ok) {
          std::cerr << "error: " << parsed.message << "\n";
          exit_code = 1;
          return;
        }
        interval_s = parsed.interval_s;
      }
      auto st = schedules.set(store_detail::local_actor(), o->space, mode, interval_s);
      if (!st) return store_detail::fail(st.error(), exit_code);
    }
    auto row = schedules.get(o->space);
    if (!row) return store_detail::fail(row.error(), exit_code);
    std::cout << "space:      " << o->space << "\n"
              << "warming:    " << store::describe_warm_schedule(row->mode, row->interval_s)
              << "\n";
    if (row->mode != "off") std::cout << "next due:   " << when(row->next_due_at_ms) << "\n";
    std::cout << "last run:   " << when(row->last_started_at_ms);
    if (row->last_started_at_ms != 0) {
      std::cout << " on " << row->last_holder;
      if (row->last_finished_at_ms >= row->last_started_at_ms) {
        std::cout << ", " << row->last_refreshed << " refreshed, " << row->last_failed << " failed";
      } else {
        std::cout << ", still running";
      }
    }
    std::cout << "\n";
    exit_code = 0;
  });
}

}  // namespace

void add_freshness_commands(CLI::App& app, int& exit_code) {
  CLI::App* spaces = app.get_subcommand("spaces");
  struct Options {
    std::string config;
    std::string space;
    std::string uid;
  };
  auto o = std::make_shared<Options>();
  add_warming_command(*spaces, exit_code);
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
