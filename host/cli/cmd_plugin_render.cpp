// `vitrine plugins render`: the plugin author's dev loop. With --config and
// --space it renders one macro through the real fetch path of a configured
// space (its Grafana origin, its token attached by the host, its egress
// approvals), in a worker unless --in-process; with --plugins-dir it renders
// with no host at all. Either way it says which mode ran, and a crash is a
// sentence and an exit code, never a bare signal.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>

#include "cli/commands.h"
#include "config/config.h"
#include "plugins/capability_tables.h"
#include "plugins/host_table.h"
#include "plugins/invoke.h"
#include "plugins/loader.h"
#include "runtime/runtime.h"

namespace vitrine::cli {
namespace {

// The exit code of a render whose plugin crashed (a worker's crash report,
// or the in-process crash handler); 1 is any other failed render.
constexpr int kCrashExit = 3;

struct RenderOptions {
  std::string dir;
  std::string config;
  std::string space;
  std::string macro;
  std::vector<std::string> params;
  std::string theme = "light";
  bool in_process = false;
};

// In-process, a crashing plugin takes the CLI with it. The handler writes a
// sentence prepared before the render (nothing is formatted or allocated in
// the handler) and _exits, so the author reads what happened instead of a
// bare exit 139.
char g_crash_prefix[512];
char g_crash_suffix[512];

void write_all(const char* text) {
  size_t left = std::strlen(text);
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, text, left);
    if (n <= 0) return;
    text += n;
    left -= static_cast<size_t>(n);
  }
}

extern "C" void on_plugin_crash(int sig) {
  write_all(g_crash_prefix);
  const char* abbrev = sigabbrev_np(sig);
  write_all("SIG");
  write_all(abbrev != nullptr ? abbrev : "?");
  write_all(g_crash_suffix);
  ::_exit(kCrashExit);
}

void arm_crash_handler(const std::string& plugin, const std::string& macro) {
  std::snprintf(g_crash_prefix, sizeof g_crash_prefix, "error: the plugin '%s' crashed (",
                plugin.c_str());
  std::snprintf(g_crash_suffix, sizeof g_crash_suffix,
                ") while rendering '%s' in-process; run it in a worker (without --in-process) "
                "or under a debugger to see where\n",
                macro.c_str());
  struct sigaction sa {};
  sa.sa_handler = on_plugin_crash;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::sigaction(sig, &sa, nullptr);
}

// "killed by SIGSEGV" in a worker's crash report -> "SIGSEGV".
std::string crash_cause(const std::string& error) {
  const auto at = error.find("killed by SIG");
  if (at == std::string::npos) {
    const auto exited = error.find("exited with status ");
    if (exited == std::string::npos) return "it ended";
    const auto end = error.find_first_not_of("0123456789", exited + 19);
    return error.substr(exited, end - exited);
  }
  const auto start = at + 10;
  const auto end = error.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", start);
  return error.substr(start, end - start);
}

// Prints the result; returns the exit code.
int report(const plugins::RenderOutput& out, const std::string& plugin, const std::string& macro) {
  if (out.rule == "worker-crashed") {
    std::cerr << "error: the plugin '" << plugin << "' crashed (" << crash_cause(out.error)
              << ") while rendering '" << macro << "'; " << out.error << " [worker-crashed]\n";
    return kCrashExit;
  }
  if (out.status != VITRINE_OK) {
    std::cerr << "error: macro '" << macro << "' failed (" << plugins::status_name(out.status)
              << "): " << out.error << (out.rule.empty() ? "" : " [" + out.rule + "]") << "\n";
    return 1;
  }
  std::cout << out.html << "\n";
  return 0;
}

bool parse_params(const RenderOptions& o, plugins::RenderInput& in) {
  for (const auto& kv : o.params) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "error: --param '" << kv << "' must be NAME=VALUE\n";
      return false;
    }
    in.params[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return true;
}

// No host: the plugins of a directory, loaded into this process.
int render_without_host(const RenderOptions& o, plugins::RenderInput in) {
  plugins::HostTable host;
  plugins::offer_standard_capabilities(host);
  auto report_dir = plugins::load_plugins_dir(o.dir, host.abi());
  for (const auto& r : report_dir.refused) std::cerr << "refused " << plugins::format(r) << "\n";
  for (const auto& p : report_dir.loaded) {
    for (const auto& m : p.manifest.macros) {
      if (m.key != in.macro_key) continue;
      std::cerr << "note: rendering '" << in.macro_key << "' of plugin '" << p.manifest.id
                << "' in-process with no space configured: http, cache and assets answer "
                   "VITRINE_E_UNAVAILABLE; use --config and --space to fetch from Grafana\n";
      arm_crash_handler(p.manifest.id, in.macro_key);
      return report(plugins::render_macro(p, in), p.manifest.id, in.macro_key);
    }
  }
  std::cerr << "error: no loaded plugin provides macro '" << in.macro_key
            << "'; run 'vitrine plugins list --plugins-dir " << o.dir << "'\n";
  return 1;
}

// Through a configured space: the runtime the server would use, with the
// runner chosen here rather than by the config's plugins.mode.
int render_in_space(const RenderOptions& o, plugins::RenderInput in) {
  auto loaded = config::load_config(o.config);
  if (!loaded.config) {
    for (const auto& d : loaded.diagnostics) std::cerr << manifest::format(d) << "\n";
    return 2;
  }
  config::Config cfg = *loaded.config;
  cfg.plugin_mode = o.in_process ? "in-process" : "worker";
  std::string error;
  auto rt = runtime::Runtime::open(cfg, error);
  if (!rt) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  auto target = rt->find_macro(in.macro_key);
  if (!target) {
    const auto set = rt->plugin_set();
    if (auto b = set->blocked.find(in.macro_key); b != set->blocked.end()) {
      std::cerr << "error: macro '" << in.macro_key << "' cannot run: " << b->second.second << " ["
                << b->second.first << "]\n";
    } else {
      std::cerr << "error: no installed plugin provides macro '" << in.macro_key
                << "'; 'vitrine plugins status --data-dir " << cfg.data_dir.string()
                << "' lists the installed plugins and why any does not run\n";
    }
    return 1;
  }
  const std::string& plugin = target->plugin->id;
  auto space = rt->space_state(o.space);
  if (space->space_id.empty()) {
    std::cerr << "error: there is no space '" << o.space << "'; 'vitrine spaces list --data-dir "
              << cfg.data_dir.string() << "' lists them\n";
    return 2;
  }
  if (!space->origins) {
    std::cerr << "error: space '" << o.space
              << "' is not connected to Grafana; connect it first (vitrine spaces connect)\n";
    return 2;
  }
  if (space->enabled_plugins.count(plugin) == 0) {
    std::cerr << "error: plugin '" << plugin << "' is not enabled in space '" << o.space
              << "'; enable it (vitrine plugins enable " << plugin << " --space " << o.space
              << ") [plugin-not-enabled]\n";
    return 1;
  }
  in.space_key = o.space;
  in.grafana_base_url = space->origins->grafana_origin;
  in.timeout_ms = cfg.macro_deadline_ms;
  in.services = rt.get();
  std::cerr << "note: rendering '" << in.macro_key << "' of plugin '" << plugin << "' "
            << (o.in_process ? "in-process" : "in a worker") << " for space '" << o.space
            << "' (Grafana " << in.grafana_base_url << ")\n";
  if (o.in_process) arm_crash_handler(plugin, in.macro_key);
  return report(rt->runner().render(target->instance, in), plugin, in.macro_key);
}

}  // namespace

void add_plugin_render_command(CLI::App& group, int& exit_code) {
  auto o = std::make_shared<RenderOptions>();
  auto* render = group.add_subcommand(
      "render",
      "Render one macro and print its HTML unsanitized: through a configured space's Grafana "
      "(--config, --space; in a worker unless --in-process), or with no host (--plugins-dir)");
  auto* dir = render->add_option("--plugins-dir", o->dir,
                                 "Directory of manifests and libraries (no host: no HTTP)");
  auto* config = render->add_option("--config", o->config, "vitrine.yml of the installation");
  dir->excludes(config);
  render->add_option("--param", o->params, "Parameter as NAME=VALUE (repeatable)");
  render->add_option("--space", o->space,
                     "Space key: with --config, the space whose Grafana connection, token and "
                     "egress approvals the render uses; else only passed to the plugin");
  render->add_option("--theme", o->theme, "light or dark")->check(CLI::IsMember({"light", "dark"}));
  render->add_flag("--in-process", o->in_process,
                   "With --config: load the plugin into this process instead of a worker");
  render->add_option("macro", o->macro, "Macro key, e.g. hello")->required();
  render->callback([o, &exit_code] {
    plugins::RenderInput in;
    in.macro_key = o->macro;
    in.space_key = o->space.empty() ? "demo" : o->space;
    in.page_id = "cli";
    in.theme = o->theme;
    if (!parse_params(*o, in)) {
      exit_code = 2;
      return;
    }
    if (!o->config.empty()) {
      if (o->space.empty()) {
        std::cerr << "error: --config needs --space: the space whose Grafana to render "
                     "against\n";
        exit_code = 2;
        return;
      }
      exit_code = render_in_space(*o, std::move(in));
      return;
    }
    if (o->dir.empty()) {
      std::cerr << "error: give --config and --space (render through a space's Grafana) or "
                   "--plugins-dir (no host)\n";
      exit_code = 2;
      return;
    }
    exit_code = render_without_host(*o, std::move(in));
  });
}

}  // namespace vitrine::cli
