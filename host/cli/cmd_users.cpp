// `vitrine users list`: the people who signed in through OpenID Connect
// (issuer, subject, name, email, first and last sign-in). Their roles are
// not stored: they come from auth.oidc.roles at each sign-in.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/store_commands.h"
#include "store/report.h"
#include "store/store.h"

namespace vitrine::cli {

using namespace store_detail;

void add_users_commands(CLI::App& app, int& exit_code) {
  GlobalOptions& g = global_options(app);
  auto* group = app.add_subcommand("users", "People who signed in through OpenID Connect");
  group->require_subcommand(1);
  group->fallthrough();
  auto* list = group->add_subcommand("list", "List users, most recent sign-in first");
  list->fallthrough();
  list->callback([&g, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    auto rows = s->backend().list_users();
    if (!rows) return fail(rows.error(), exit_code);
    for (const auto& u : *rows) {
      std::cout << u.issuer << "  " << u.subject << "  " << (u.name.empty() ? "-" : u.name) << "  "
                << (u.email.empty() ? "-" : u.email) << "  first "
                << store::format_time(u.first_login_ms) << "  last "
                << store::format_time(u.last_login_ms) << "\n";
    }
    if (rows->empty()) std::cerr << "no user has signed in through OpenID Connect yet\n";
    exit_code = 0;
  });
}

}  // namespace vitrine::cli
