// `vitrine plugins enable|disable|approvals`: a space admin enables approved
// plugins in a space; anyone with the data directory lists approvals.
// Installing, approving and rolling back: cmd_plugin_lifecycle.cpp.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/store_commands.h"
#include "manifest/manifest.h"
#include "store/report.h"
#include "store/store.h"

namespace vitrine::cli {

using namespace store_detail;

void add_plugin_admin_commands(CLI::App& plugins_group, int& exit_code) {
  GlobalOptions& g = global_options(plugins_group);
  struct Opts {
    std::string id, space;
  };
  auto o = std::make_shared<Opts>();
  plugins_group.fallthrough();

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
                << "  " << r.approved_by << "  " << r.permissions_hash.substr(0, 16);
      if (r.withdrawn_at_ms != 0) {
        std::cout << "  withdrawn " << store::format_time(r.withdrawn_at_ms) << " by "
                  << r.withdrawn_by;
      }
      std::cout << "\n";
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
