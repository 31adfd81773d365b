// Console: admin API tokens. Create with a role, a name and an optional
// lifetime (shown once, on the answer page itself, never stored in the
// session or a notice), list with last use and state, revoke. The same store
// calls as `vitrine tokens create|list|revoke` and /api/v1/tokens.
#include <charconv>

#include "server/ui_console.h"
#include "store/report.h"

namespace vitrine::server::console {
namespace {

constexpr const char* kPage = "/admin/tokens";

std::string create_form(const std::string& csrf) {
  return "<section aria-labelledby=\"create\"><h2 id=\"create\">Create a token</h2>"
         "<form method=\"post\" action=\"/admin/tokens\">" +
         ui::csrf_field(csrf) +
         text_field("role", "Role: platform-admin, space-admin:SPACE, editor:SPACE or viewer:SPACE",
                    "", "required autocomplete=\"off\"") +
         text_field("name", "Name (what it is for, e.g. ci-docs-export)", "",
                    "autocomplete=\"off\"") +
         text_field("expires_days", "Expires after days (empty: never)", "",
                    "inputmode=\"numeric\" pattern=\"[0-9]{1,4}\" autocomplete=\"off\"") +
         "<p><button type=\"submit\">Create token</button></p></form></section>";
}

std::string tokens_table(const std::vector<store::AdminTokenRow>& rows, const std::string& csrf) {
  std::string h =
      "<table class=\"tokens\"><thead><tr><th>Id</th><th>Name</th><th>Role</th><th>Created</th>"
      "<th>Expires</th><th>Last used</th><th>State</th><th></th></tr></thead><tbody>";
  const int64_t now = store::system_now_ms();
  for (const auto& r : rows) {
    const bool expired = r.expires_at_ms != 0 && r.expires_at_ms <= now;
    const std::string state = r.revoked_at_ms ? "revoked" : expired ? "expired" : "active";
    h += "<tr data-token=\"" + ui::esc(r.id) + "\" data-state=\"" + state + "\"><td><code>" +
         ui::esc(r.id) + "</code></td><td>" + ui::esc(r.name.empty() ? "-" : r.name) + "</td><td>" +
         ui::esc(r.role) + "</td><td>" + ui::esc(store::format_time(r.created_at_ms)) + " by " +
         ui::esc(r.created_by) + "</td><td>" +
         (r.expires_at_ms ? ui::esc(store::format_time(r.expires_at_ms)) : "never") + "</td><td>" +
         (r.last_used_at_ms ? ui::esc(store::format_time(r.last_used_at_ms)) : "never") +
         "</td><td>" + state + "</td><td>" +
         (state == "active" && !csrf.empty()
              ? ui::button_form(std::string(kPage) + "/" + r.id + "/revoke", "Revoke " + r.id, csrf,
                                {}, "danger")
              : "") +
         "</td></tr>";
  }
  return h + "</tbody></table>";
}

}  // namespace

void add_console_tokens_routes(Router& router, ServerContext& ctx) {
  router.add("GET", kPage, [&ctx](Request& req) {
    auto page = open_page(ctx, req, store::Action::admin_tokens, "Tokens");
    if (auto* r = std::get_if<Response>(&page)) return std::move(*r);
    auto& call = std::get<PageCall>(page);
    auto rows = ctx.runtime.store().admin_tokens().list();
    if (!rows) return ui::error_page(500, "Cannot load the tokens", rows.error().message);
    call.shell.body_html =
        "<h1>Admin tokens</h1><p class=\"muted\">Tokens for the JSON API and for logging in. "
        "The same operations: <code>vitrine tokens create|list|revoke</code> and "
        "<code>/api/v1/tokens</code>.</p>" +
        (call.shell.csrf.empty() ? std::string() : create_form(call.shell.csrf)) +
        "<section aria-labelledby=\"all\"><h2 id=\"all\">All tokens</h2>" +
        tokens_table(*rows, call.shell.csrf) + "</section>";
    return ui::page(200, call.shell);
  });

  router.add("POST", kPage, [&ctx](Request& req) {
    auto g = guard(ctx, req, store::Action::admin_tokens);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    int64_t expires_at = 0;
    if (const std::string& days = call.form["expires_days"]; !days.empty()) {
      int64_t n = 0;
      auto [p, ec] = std::from_chars(days.data(), days.data() + days.size(), n);
      if (ec != std::errc() || p != days.data() + days.size() || n < 1 || n > 3650) {
        return back_with_error(ctx, call, kPage,
                               "Token not created: 'Expires after days' must be a whole number "
                               "from 1 to 3650, or empty for never.");
      }
      expires_at = store::system_now_ms() + n * 86'400'000;
    }
    auto t = ctx.runtime.store().admin_tokens().create(call.caller.who(), call.form["role"],
                                                       call.form["name"], expires_at);
    if (!t) return back_with_error(ctx, call, kPage, "Token not created: " + t.error().message);
    // Shown here once; this answer is not cached and the token is kept
    // nowhere else (only its SHA-256 is stored).
    ui::Shell s;
    s.title = "Token created";
    s.csrf = call.caller.csrf();
    s.plugins_link = true;
    s.who = signed_in_text(ctx, call.caller);
    s.flash = "Created token " + t->row.id + " with role " + t->row.role + ".";
    s.body_html =
        "<h1>Token created</h1><p>Copy the token now: it is shown once and cannot be "
        "recovered.</p><label for=\"new-token\">Token " +
        ui::esc(t->row.id) +
        "</label><input type=\"text\" id=\"new-token\" class=\"token-once\" readonly value=\"" +
        ui::esc(t->token.view()) + "\"><p><a href=\"/admin/tokens\">Back to the tokens</a></p>";
    Response r = ui::page(200, s);
    r.set_header("Cache-Control", "no-store");
    return r;
  });

  router.add("POST", "/admin/tokens/{id}/revoke", [&ctx](Request& req) {
    const std::string id = req.param("id");
    auto g = guard(ctx, req, store::Action::admin_tokens);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    auto st = ctx.runtime.store().admin_tokens().revoke(call.caller.who(), id);
    if (!st) return back_with_error(ctx, call, kPage, "Not revoked: " + st.error().message);
    return back(ctx, call, kPage, "Revoked token " + id + ".");
  });
}

}  // namespace vitrine::server::console
