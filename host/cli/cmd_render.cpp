// `vitrine render`: static export for docs-as-code pipelines. Renders
// Markdown pages with macros to HTML files and images, with no server.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/runtime_open.h"
#include "config/config.h"
#include "export/exporter.h"
#include "render/engine.h"
#include "runtime/runtime.h"

namespace vitrine::cli {

void add_render_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config;
    std::string space;
    std::vector<std::string> pages;
    std::string out = "out";
    std::string theme = "light";
    std::string timezone = "UTC";
    std::string from = "now-6h";
    std::string to = "now";
    bool fail_on_error = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "render", "Render Markdown pages with macros to static HTML and images (no server)");
  cmd->add_option("--config", o->config, "vitrine.yml")->required();
  cmd->add_option("--space", o->space, "Space whose Grafana connection and plugins to use")
      ->required();
  cmd->add_option("--out", o->out, "Output directory (created)");
  cmd->add_option("--theme", o->theme, "light or dark")->check(CLI::IsMember({"light", "dark"}));
  cmd->add_option("--timezone", o->timezone, "Time zone for times on the page");
  cmd->add_option("--from", o->from, "Default time range start, e.g. now-24h");
  cmd->add_option("--to", o->to, "Default time range end");
  cmd->add_flag("--fail-on-error", o->fail_on_error,
                "Exit 1 when any macro rendered an error box (for CI pipelines)");
  cmd->add_option("pages", o->pages, "Markdown files")->required()->check(CLI::ExistingFile);
  cmd->callback([o, &exit_code] {
    auto opened = open_runtime(o->config);
    if (!opened.runtime) {
      exit_code = 2;
      return;
    }
    runtime::Runtime* rt = opened.runtime.get();
    const config::Config* cfg = opened.config.get();
    render::EngineOptions eo = render::EngineOptions::from(*cfg);
    render::Engine engine(*rt, eo);
    exporter::ExportOptions opt;
    opt.space = o->space;
    opt.out_dir = o->out;
    opt.defaults.theme = o->theme;
    opt.defaults.timezone = o->timezone;
    opt.defaults.time_from = o->from;
    opt.defaults.time_to = o->to;
    std::vector<std::filesystem::path> pages(o->pages.begin(), o->pages.end());
    size_t errors = 0, failures = 0;
    exporter::export_pages(*rt, engine, pages, opt, [&](size_t i, const exporter::PageReport& r) {
      std::cerr << "[" << (i + 1) << "/" << pages.size() << "] " << r.source.string() << ": ";
      if (!r.failure.empty()) {
        std::cerr << "error: " << r.failure << "\n";
        ++failures;
        return;
      }
      std::cerr << r.macros << " macros (" << r.errors << " errors, " << r.stale << " stale), "
                << r.assets << " images -> " << r.output.string() << "\n";
      errors += r.errors;
    });
    engine.drain();
    exit_code = failures > 0 ? 2 : (o->fail_on_error && errors > 0 ? 1 : 0);
  });
}

}  // namespace vitrine::cli
