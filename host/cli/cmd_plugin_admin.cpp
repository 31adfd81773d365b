// `vitrine plugins approve|enable|disable|approvals`: a platform admin
// approves a plugin version with its permission set (after reading the diff);
// a space admin enables approved plugins in a space.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/store_commands.h"
#include "manifest/manifest.h"
#include "store/report.h"
#include "store/store.h"

namespace vitrine::cli {

using namespace store_detail;

namespace {

// Finds the manifest of `id` in `dir` without loading any plugin code.
store::Result<manifest::Manifest> find_manifest(const std::string& dir, const std::string& id) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yml" || ext == ".yaml")) files.push_back(e.path());
  }
  if (ec) {
    return store::make_error(store::Errc::io,
                             "cannot read plugins directory " + dir + ": " + ec.message());
  }
  std::sort(files.begin(), files.end());
  std::vector<manifest::Manifest> found;
  for (const auto& f : files) {
    auto r = manifest::check_file(f);
    if (r.ok() && r.manifest->id == id) found.push_back(*r.manifest);
  }
  if (found.empty()) {
    return store::make_error(store::Errc::not_found,
                             "no valid manifest for plugin '" + id + "' in " + dir +
                                 "; check it with 'vitrine manifest check'");
  }
  if (found.size() > 1) {
    return store::make_error(store::Errc::conflict, std::to_string(found.size()) +
                                                        " manifests in " + dir +
                                                        " declare plugin '" + id + "'; keep one");
  }
  return found.front();
}

}  // namespace

void add_plugin_admin_commands(CLI::App& plugins_group, int& exit_code) {
  GlobalOptions& g = global_options(plugins_group);
  struct Opts {
    std::string id, dir, space;
    bool show_diff = false, dry_run = false;
  };
  auto o = std::make_shared<Opts>();
  plugins_group.fallthrough();

  auto* approve = plugins_group.add_subcommand(
      "approve", "Approve a plugin version with its permission set (platform admin)");
  approve->fallthrough();
  approve->add_option("id", o->id, "Plugin id")->required();
  approve->add_option("--plugins-dir", o->dir, "Directory of manifests")->required();
  approve->add_flag("--show-diff", o->show_diff,
                    "Print the permission diff against the last approval (+/- lines)");
  approve->add_flag("--dry-run", o->dry_run, "Only print the diff; approve nothing");
  approve->callback([&g, o, &exit_code] {
    auto m = find_manifest(o->dir, o->id);
    if (!m) return fail(m.error(), exit_code);
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    auto approvals = s->approvals();
    auto decision = approvals.decide(*m);
    if (!decision) return fail(decision.error(), exit_code);
    if (o->show_diff || o->dry_run) {
      std::cout << "permission diff for " << m->id << " " << m->version;
      if (decision->approval) {
        std::cout << " against approved " << decision->approval->version;
      } else {
        std::cout << " (never approved)";
      }
      std::cout << ":\n";
      if (decision->diff.empty()) std::cout << "  (no change)\n";
      for (const auto& line : decision->diff) std::cout << line << "\n";
    }
    if (o->dry_run) {
      exit_code = 0;
      return;
    }
    auto row = approvals.approve(local_actor(), *m);
    if (!row) return fail(row.error(), exit_code);
    std::cout << "approved " << row->plugin_id << " " << row->version << " (permissions sha256 "
              << row->permissions_hash.substr(0, 16) << ")\n";
    exit_code = 0;
  });

  auto* list = plugins_group.add_subcommand("approvals", "List plugin approvals");
  list->fallthrough();
  list->add_option("id", o->id, "Only this plugin");
  list->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    std::optional<std::string> id;
    if (!o->id.empty()) id = o->id;
    auto rows = s->approvals().list(id);
    if (!rows) return fail(rows.error(), exit_code);
    for (const auto& r : *rows) {
      std::cout << r.plugin_id << "  " << r.version << "  " << store::format_time(r.approved_at_ms)
                << "  " << r.approved_by << "  " << r.permissions_hash.substr(0, 16) << "\n";
    }
    exit_code = 0;
  });

  struct Toggle {
    const char* name;
    const char* help;
    bool enable;
  };
  static constexpr Toggle kToggles[] = {
      {"enable", "Enable an approved plugin in a space (space admin)", true},
      {"disable", "Disable a plugin in a space (space admin)", false},
  };
  for (const auto& t : kToggles) {
    auto* sub = plugins_group.add_subcommand(t.name, t.help);
    sub->fallthrough();
    sub->add_option("--space", o->space, "Space key")->required();
    sub->add_option("id", o->id, "Plugin id")->required();
    const bool enable = t.enable;
    sub->callback([&g, o, &exit_code, enable] {
      auto s = open_store(g, false, exit_code);
      if (!s) return;
      auto approvals = s->approvals();
      auto st = enable ? approvals.enable(local_actor(), o->space, o->id)
                       : approvals.disable(local_actor(), o->space, o->id);
      if (!st) return fail(st.error(), exit_code);
      std::cout << (enable ? "enabled " : "disabled ") << o->id << " in space " << o->space << "\n";
      exit_code = 0;
    });
  }
}

}  // namespace vitrine::cli
