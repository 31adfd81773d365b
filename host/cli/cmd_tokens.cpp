// `vitrine tokens create|list|revoke`: admin API tokens. A token is shown
// exactly once at creation; only its SHA-256 is stored.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/store_commands.h"
#include "store/report.h"
#include "store/store.h"

namespace vitrine::cli {

using namespace store_detail;

void add_tokens_commands(CLI::App& app, int& exit_code) {
  GlobalOptions& g = global_options(app);
  auto* group = app.add_subcommand("tokens", "Admin API tokens (platform admins)");
  group->require_subcommand(1);
  group->fallthrough();
  struct Opts {
    std::string role, id;
  };
  auto o = std::make_shared<Opts>();

  auto* create = group->add_subcommand("create", "Create a token and print it once");
  create->fallthrough();
  create->add_option("--role", o->role, "platform-admin, space-admin:SPACE or viewer:SPACE")
      ->required();
  create->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    auto t = s->admin_tokens().create(local_actor(), o->role);
    if (!t) return fail(t.error(), exit_code);
    std::cerr << "created token " << t->row.id << " with role " << t->row.role
              << "; it is shown once below and cannot be recovered\n";
    std::cout << t->token.view() << "\n";
    exit_code = 0;
  });

  auto* list = group->add_subcommand("list", "List tokens (ids and roles, never the tokens)");
  list->fallthrough();
  list->callback([&g, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    auto rows = s->admin_tokens().list();
    if (!rows) return fail(rows.error(), exit_code);
    for (const auto& r : *rows) {
      std::cout << r.id << "  " << r.role
                << (r.space_id.empty() ? std::string() : " (space id " + r.space_id + ")")
                << "  created " << store::format_time(r.created_at_ms) << " by " << r.created_by
                << (r.revoked_at_ms ? "  revoked " + store::format_time(r.revoked_at_ms)
                                    : std::string("  active"))
                << "\n";
    }
    exit_code = 0;
  });

  auto* revoke = group->add_subcommand("revoke", "Revoke a token by id");
  revoke->fallthrough();
  revoke->add_option("id", o->id, "Token id from 'vitrine tokens list'")->required();
  revoke->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    if (auto st = s->admin_tokens().revoke(local_actor(), o->id); !st) {
      return fail(st.error(), exit_code);
    }
    std::cout << "revoked token " << o->id << "\n";
    exit_code = 0;
  });
}

}  // namespace vitrine::cli
