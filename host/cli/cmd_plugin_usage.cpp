// `vitrine plugins usage ID`: the least-privilege report (store/usage.h).
// The declared permissions are those of the version the plugin runs (the
// first candidate of the plugin plan, LC-2), or of its newest installed
// artifact when no version runs, so the report answers "which of what I
// approved is never used".
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/store_commands.h"
#include "reconcile/plugin_plan.h"
#include "store/report.h"
#include "store/store.h"
#include "store/usage.h"

namespace vitrine::cli {

using namespace store_detail;

namespace {

store::Result<std::optional<manifest::Manifest>> usage_declaration(store::Store& s,
                                                                   const std::string& plugin_id,
                                                                   bool running_only) {
  auto input = reconcile::read_plan_input(s);
  if (!input) return input.error();
  const auto plan = reconcile::plan_plugins(*input);
  auto it = plan.plugins.find(plugin_id);
  if (it == plan.plugins.end()) return std::optional<manifest::Manifest>();
  // Candidates come first in the order the runtime tries them; the others
  // follow newest first, so the first loadable one is the newest artifact.
  for (const auto& a : it->second) {
    if (a.state == "candidate" && a.manifest) return a.manifest;
  }
  if (running_only) return std::optional<manifest::Manifest>();
  for (const auto& a : it->second) {
    if (a.manifest) return a.manifest;
  }
  return std::optional<manifest::Manifest>();
}

}  // namespace

void add_plugin_usage_command(CLI::App& plugins_group, int& exit_code) {
  GlobalOptions& g = global_options(plugins_group);
  struct Opts {
    std::string id, space, since, format = "text";
  };
  auto o = std::make_shared<Opts>();
  auto* usage = plugins_group.add_subcommand(
      "usage",
      "Least-privilege report: the declared scopes and egress entries of the running version "
      "against what the audit log shows the plugin used");
  usage->fallthrough();
  usage->add_option("id", o->id, "Plugin id")->required();
  usage->add_option("--space", o->space, "Only this space key's audit rows (default: all spaces)");
  usage->add_option("--since", o->since,
                    "2024-05-01, 2024-05-01T10:42:00Z, or 30m / 24h / 7d (default: the whole "
                    "audit log)");
  usage->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  usage->callback([&g, o, &exit_code] {
    int64_t since_ms = 0;
    if (!o->since.empty()) {
      auto since = store::parse_since(o->since, store::system_now_ms());
      if (!since) {
        std::cerr << "error: " << since.error().message << "\n";
        exit_code = 2;
        return;
      }
      since_ms = *since;
    }
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    auto declared = usage_declaration(*s, o->id, false);
    if (!declared) return fail(declared.error(), exit_code);
    if (!*declared) {
      std::cerr << "error: no plugin '" << o->id
                << "' is installed; 'vitrine plugins status' lists the installed plugins\n";
      exit_code = 1;
      return;
    }
    std::optional<std::string> space;
    if (!o->space.empty()) space = o->space;
    auto report = store::plugin_usage(s->audit(), **declared, space, since_ms);
    if (!report) return fail(report.error(), exit_code);
    std::cout << (o->format == "json" ? store::format_usage_json(*report)
                                      : store::format_usage_text(*report));
    exit_code = 0;
  });
}

std::vector<std::string> running_usage_summary(store::Store& s, const std::string& plugin_id) {
  auto declared = usage_declaration(s, plugin_id, true);
  if (!declared || !*declared) return {};
  auto report = store::plugin_usage(s.audit(), **declared, std::nullopt, 0);
  if (!report) return {"usage of the running version unavailable: " + report.error().message};
  std::vector<std::string> lines = {"usage of running " + report->version + " (all spaces, " +
                                    std::to_string(report->rows) + " egress audit rows):"};
  for (const auto& v : report->verdicts) lines.push_back("  " + v);
  if (report->verdicts.empty()) lines.push_back("  every declared scope and egress entry was used");
  return lines;
}

}  // namespace vitrine::cli
