// Space settings for space admins: the Grafana connection (shown; platform
// admins connect origins with the CLI), the write-only token field with a
// connection test, plugin toggles and the audit view. The token is never
// rendered back: the field is always empty and the page shows only
// "configured by X at T". Forms POST, then redirect back (POST-redirect-GET)
// with a one-shot notice; each POST passes the CSRF checks of csrf.h.
#include <openssl/crypto.h>

#include <algorithm>
#include <map>
#include <set>

#include "server/auth.h"
#include "server/context.h"
#include "server/csrf.h"
#include "server/embed_settings_ui.h"
#include "server/ui/html.h"
#include "server/ui_console.h"
#include "server/warm_settings_ui.h"
#include "store/report.h"

namespace vitrine::server {
namespace {

using store::Action;

std::string settings_url(const std::string& space) { return "/spaces/" + space + "/settings"; }

struct FormCall {
  Caller caller;
  std::map<std::string, std::string> form;
};

// Authorization, then the CSRF checks; the form is parsed once here.
std::variant<FormCall, Response> guard(ServerContext& ctx, Request& req, Action action,
                                       const std::string& space) {
  auto auth = authorize(ctx, req, Credentials::browser, action, space);
  if (!auth.caller) return auth.refusal;
  auto form = parse_form(req.body);
  if (!req.body.empty()) OPENSSL_cleanse(req.body.data(), req.body.size());
  if (!auth.caller->session || !form_allowed(ctx, req, *auth.caller->session, form)) {
    return csrf_refusal();
  }
  return FormCall{std::move(*auth.caller), std::move(form)};
}

Response back(ServerContext& ctx, const FormCall& call, const std::string& space,
              const std::string& notice) {
  ctx.sessions.set_flash(call.caller.session->id, notice);
  return redirect(settings_url(space));
}

std::string connection_section(const store::SpaceView& view) {
  std::string h = "<section><h2>Grafana connection</h2>";
  if (view.space.grafana_origin.empty()) {
    h += "<p>Not connected. A platform admin connects the space to its Grafana with "
         "<code>vitrine spaces connect " +
         ui::esc(view.space.key) + " --origin https://STACK.grafana.net</code>.</p>";
  } else {
    h += "<p>Origin: <code>" + ui::esc(view.space.grafana_origin) + "</code>";
    if (view.space.connected_at_ms != 0) {
      h += " <span class=\"muted\">connected by " + ui::esc(view.space.connected_by) + " at " +
           ui::esc(store::format_time(view.space.connected_at_ms)) + "</span>";
    }
    if (view.space.grafana_allow_private) h += " (private network approved)";
    h += "</p>";
  }
  for (const auto& c : view.customer_origins) {
    h += "<p class=\"muted\">Customer-managed origin <code>" + ui::esc(c.origin) + "</code> for " +
         ui::esc(c.plugin_id) + ", approved by " + ui::esc(c.approved_by) + "</p>";
  }
  return h + "</section>";
}

std::string token_section(const store::SpaceView& view, const std::string& csrf) {
  const std::string base = settings_url(view.space.key);
  std::string h = "<section><h2>Grafana token</h2>";
  if (view.token.configured) {
    h += "<p>Configured by " + ui::esc(view.token.set_by) + " at " +
         ui::esc(store::format_time(view.token.set_at_ms)) +
         ". It cannot be shown again; "
         "enter a new one to replace it.</p>";
  } else {
    h += "<p>Not configured.</p>";
  }
  // value="" always: the stored token is never sent to a browser.
  h += "<form method=\"post\" action=\"" + ui::esc(base) + "/token\">" + ui::csrf_field(csrf) +
       "<label for=\"token\">" + std::string(view.token.configured ? "New token" : "Token") +
       " (Grafana service-account token, glsa_...)</label>"
       "<input type=\"password\" id=\"token\" name=\"token\" value=\"\" autocomplete=\"off\" "
       "required><p><button type=\"submit\">Save token</button></p></form><p>";
  h += ui::button_form(base + "/test-connection", "Test connection", csrf);
  if (view.token.configured) {
    h += " " + ui::button_form(base + "/token/revoke", "Revoke token", csrf, {}, "danger");
  }
  return h + "</p></section>";
}

std::string plugins_section(ServerContext& ctx, const store::SpaceView& view,
                            const std::string& csrf) {
  std::set<std::string> enabled;
  for (const auto& e : view.enabled_plugins) enabled.insert(e.plugin_id);
  std::string h =
      "<section><h2>Plugins</h2><table><thead><tr><th>Plugin</th><th>Version</th><th>State</th>"
      "<th>In this space</th></tr></thead><tbody>";
  // One row per plugin: the version that runs, else its newest artifact.
  std::map<std::string, runtime::PluginStatus> shown;
  for (auto& p : ctx.runtime.plugins()) {
    auto it = shown.find(p.manifest.id);
    if (it == shown.end() || (p.running && !it->second.running)) shown[p.manifest.id] = p;
  }
  for (const auto& [id, p] : shown) {
    const bool on = enabled.count(id) != 0;
    h += "<tr><td>" + ui::esc(id) + "</td><td>" + ui::esc(p.manifest.version) + "</td><td>" +
         ui::esc(p.state) + "</td><td>" + (on ? "enabled " : "disabled ") +
         ui::button_form(settings_url(view.space.key) + "/plugins/" + id, on ? "Disable" : "Enable",
                         csrf,
                         std::string("<input type=\"hidden\" name=\"enabled\" value=\"") +
                             (on ? "0" : "1") + "\">") +
         "</td></tr>";
  }
  return h + "</tbody></table></section>";
}

std::string audit_section(ServerContext& ctx, const std::string& space) {
  // This space only, not an earlier deleted space with the same key.
  auto q = ctx.runtime.store().audit().current_generation(space);
  if (q) {
    q->newest_first = true;  // the 50 newest, read as such
    q->limit = 50;
  }
  auto rows = q ? ctx.runtime.store().audit().query(*q)
                : store::Result<std::vector<store::AuditRow>>(q.error());
  std::string h = "<section><h2>Audit log</h2>";
  if (!rows)
    return h + "<p class=\"error-text\">" + ui::esc(rows.error().message) + "</p></section>";
  h += "<p class=\"muted\">The 50 newest entries. The full log: GET /api/v1/spaces/" +
       ui::esc(space) + "/audit or <code>vitrine audit --space " + ui::esc(space) +
       "</code>.</p><table><thead><tr><th>When</th><th>Who</th><th>Action</th><th>Subject</th>"
       "<th>Verdict</th></tr></thead><tbody>";
  auto& all = *rows;
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
  for (std::size_t i = 0; i < all.size() && i < 50; ++i) {
    const auto& r = all[i];
    h += "<tr><td>" + ui::esc(store::format_time(r.at_ms)) + "</td><td>" + ui::esc(r.who) +
         "</td><td>" + ui::esc(r.action) + "</td><td>" + ui::esc(r.subject) + "</td><td>" +
         ui::esc(r.verdict) + "</td></tr>";
  }
  return h + "</tbody></table></section>";
}

}  // namespace

void add_settings_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/spaces/{space}/settings", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::browser, Action::token_status, space);
    if (!auth.caller) return auth.refusal;
    auto view = ctx.runtime.store().spaces().show(space);
    if (!view) return ui::error_page(500, "Cannot load the space", view.error().message);
    const std::string csrf = auth.caller->csrf();
    ui::Shell s;
    s.title = space + " settings";
    s.space = space;
    s.csrf = csrf;
    s.settings_link = true;
    s.plugins_link = permits(ctx, *auth.caller, Action::plugin_approve, "");
    s.who = console::signed_in_text(ctx, *auth.caller);
    if (auth.caller->session) s.flash = ctx.sessions.take_flash(*auth.caller->session);
    s.body_html = "<h1>Settings of " +
                  ui::esc(view->space.display_name.empty() ? space : view->space.display_name) +
                  "</h1>" + connection_section(*view);
    if (!csrf.empty()) {
      s.body_html += token_section(*view, csrf) + plugins_section(ctx, *view, csrf);
      if (permits(ctx, *auth.caller, Action::plugin_enable, space)) {
        s.body_html += embed_settings_section(ctx, req, space, csrf);
        s.body_html += warm_settings_section(ctx, space, csrf);
      }
    } else {
      // Bearer-only visitors (scripts) get the view without forms: the
      // forms need a browser session for their CSRF token.
      s.body_html += "<p class=\"muted\">Log in through /login to change settings.</p>";
    }
    s.body_html += audit_section(ctx, space);
    return ui::page(200, s);
  });

  router.add("POST", "/spaces/{space}/settings/token", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto g = guard(ctx, req, Action::token_set, space);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    store::crypto::SecretString token(std::move(call.form["token"]));
    auto spaces = ctx.runtime.store().spaces();
    auto status = spaces.token_status(space);
    const bool rotate = status && status->configured;
    auto st = rotate ? spaces.rotate_token(call.caller.who(), space, std::move(token))
                     : spaces.set_token(call.caller.who(), space, std::move(token));
    return back(ctx, call, space,
                st ? (rotate ? "Token replaced." : "Token saved.")
                   : ui::error_notice("Token not saved: " + st.error().message));
  });

  router.add("POST", "/spaces/{space}/settings/token/revoke", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto g = guard(ctx, req, Action::token_set, space);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    auto st = ctx.runtime.store().spaces().revoke_token(call.caller.who(), space);
    return back(
        ctx, call, space,
        st ? "Token revoked." : ui::error_notice("Token not revoked: " + st.error().message));
  });

  router.add("POST", "/spaces/{space}/settings/test-connection", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto g = guard(ctx, req, Action::test_connection, space);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    auto result = ctx.runtime.test_connection(call.caller.who(), space);
    std::string notice = result.ok ? "Connection OK" : "Connection failed";
    if (result.http_status != 0) notice += " (HTTP " + std::to_string(result.http_status) + ")";
    if (!result.message.empty()) notice += ": " + result.message;
    return back(ctx, call, space, result.ok ? notice : ui::error_notice(notice));
  });

  router.add("POST", "/spaces/{space}/settings/plugins/{id}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string id = req.param("id");
    auto g = guard(ctx, req, Action::plugin_enable, space);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    const auto plugins = ctx.runtime.plugins();
    const bool known = std::any_of(plugins.begin(), plugins.end(),
                                   [&](const auto& p) { return p.manifest.id == id; });
    if (!known) {
      return back(ctx, call, space,
                  ui::error_notice("No plugin '" + id.substr(0, 64) + "' is installed."));
    }
    const bool enable = call.form["enabled"] == "1";
    auto approvals = ctx.runtime.store().approvals();
    auto st = enable ? approvals.enable(call.caller.who(), space, id)
                     : approvals.disable(call.caller.who(), space, id);
    return back(ctx, call, space,
                st ? (id + (enable ? " enabled." : " disabled."))
                   : ui::error_notice("Not changed: " + st.error().message));
  });
}

}  // namespace vitrine::server
