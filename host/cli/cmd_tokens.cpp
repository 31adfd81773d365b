// `vitrine tokens create|list|revoke`: admin API tokens. A token is shown
// exactly once at creation; only its SHA-256 is stored.
#include <CLI/CLI.hpp>
#include <charconv>
#include <iostream>
#include <optional>

#include "cli/store_commands.h"
#include "store/report.h"
#include "store/store.h"

namespace vitrine::cli {

using namespace store_detail;

namespace {

// "90d", "12h", "30m", "3600s" as milliseconds; nullopt when malformed.
std::optional<int64_t> duration_ms(const std::string& text) {
  if (text.size() < 2 || text.size() > 12) return std::nullopt;
  int64_t n = 0;
  const char* end = text.data() + text.size() - 1;
  auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || p != end || n <= 0) return std::nullopt;
  static constexpr std::pair<char, int64_t> kUnits[] = {
      {'s', 1'000}, {'m', 60'000}, {'h', 3'600'000}, {'d', 86'400'000}};
  for (auto [unit, ms] : kUnits) {
    if (text.back() == unit && n <= (int64_t{1} << 40) / ms) return n * ms;
  }
  return std::nullopt;
}

}  // namespace

void add_tokens_commands(CLI::App& app, int& exit_code) {
  GlobalOptions& g = global_options(app);
  auto* group = app.add_subcommand("tokens", "Admin API tokens (platform admins)");
  group->require_subcommand(1);
  group->fallthrough();
  struct Opts {
    std::string role, id, name, expires;
  };
  auto o = std::make_shared<Opts>();

  auto* create = group->add_subcommand("create", "Create a token and print it once");
  create->fallthrough();
  create
      ->add_option("--role", o->role,
                   "platform-admin, space-admin:SPACE, editor:SPACE or viewer:SPACE")
      ->required();
  create->add_option("--name", o->name, "What the token is for, e.g. ci-docs-export");
  create->add_option("--expires", o->expires,
                     "Lifetime such as 90d, 12h, 30m or 3600s (default: never expires)");
  create->callback([&g, o, &exit_code] {
    int64_t expires_at = 0;
    if (!o->expires.empty()) {
      auto d = duration_ms(o->expires);
      if (!d) {
        std::cerr << "error: --expires '" << o->expires
                  << "' is not a duration; use a number and a unit: 90d, 12h, 30m or 3600s\n";
        exit_code = 2;
        return;
      }
      expires_at = store::system_now_ms() + *d;
    }
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    auto t = s->admin_tokens().create(local_actor(), o->role, o->name, expires_at);
    if (!t) return fail(t.error(), exit_code);
    std::cerr << "created token " << t->row.id << " with role " << t->row.role
              << (expires_at ? "; expires " + store::format_time(expires_at) : std::string())
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
      const int64_t now = store::system_now_ms();
      std::string state = "  active";
      if (r.revoked_at_ms) {
        state = "  revoked " + store::format_time(r.revoked_at_ms);
      } else if (r.expires_at_ms && now >= r.expires_at_ms) {
        state = "  expired " + store::format_time(r.expires_at_ms);
      } else if (r.expires_at_ms) {
        state = "  active, expires " + store::format_time(r.expires_at_ms);
      }
      std::cout << r.id << "  " << r.role
                << (r.space_id.empty() ? std::string() : " (space id " + r.space_id + ")")
                << (r.name.empty() ? std::string() : "  name " + r.name) << "  created "
                << store::format_time(r.created_at_ms) << " by " << r.created_by << "  last used "
                << (r.last_used_at_ms ? store::format_time(r.last_used_at_ms)
                                      : std::string("never"))
                << state << "\n";
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
