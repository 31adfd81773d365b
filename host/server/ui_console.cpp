// The console's shared plumbing (guard, notices, page shell, the signed-in
// text) and its Overview page: the notices a platform admin must act on.
//   - a plugin version awaiting approval (runtime plugin states);
//   - a space whose Grafana token is failing: its newest connection test
//     failed and no token was set since (audit "space.test-connection");
//   - a license expiring within 14 days, or expired / refused.
#include "server/ui_console.h"

#include <openssl/crypto.h>

#include <ctime>

#include "reconcile/license_ops.h"
#include "server/csrf.h"
#include "store/report.h"

namespace vitrine::server::console {

std::string signed_in_text(ServerContext& ctx, const Caller& caller) {
  const Identity id = identity_of(ctx, caller);
  std::string roles;
  for (const auto& r : id.roles) roles += (roles.empty() ? "" : ", ") + r;
  return "Signed in as " + id.name + " · " + roles;
}

ui::Shell space_shell(ServerContext& ctx, const Caller& caller, const std::string& space,
                      const std::string& title) {
  ui::Shell s;
  s.title = title;
  s.space = space;
  s.csrf = caller.csrf();
  s.settings_link = permits(ctx, caller, store::Action::token_status, space);
  s.plugins_link = permits(ctx, caller, store::Action::plugin_approve, "");
  s.who = signed_in_text(ctx, caller);
  if (caller.session) s.flash = ctx.sessions.take_flash(*caller.session);
  return s;
}

std::variant<FormCall, Response> guard(ServerContext& ctx, Request& req, store::Action action) {
  auto auth = authorize(ctx, req, Credentials::browser, action, "");
  if (!auth.caller) return auth.refusal;
  auto form = parse_form(req.body);
  if (!req.body.empty()) OPENSSL_cleanse(req.body.data(), req.body.size());
  if (!auth.caller->session || !form_allowed(ctx, req, *auth.caller->session, form)) {
    return csrf_refusal();
  }
  return FormCall{std::move(*auth.caller), std::move(form)};
}

Response back(ServerContext& ctx, const FormCall& call, const std::string& page,
              const std::string& notice) {
  ctx.sessions.set_flash(call.caller.session->id, notice);
  return redirect(page);
}

Response back_with_error(ServerContext& ctx, const FormCall& call, const std::string& page,
                         const std::string& message) {
  return back(ctx, call, page, ui::error_notice(message));
}

std::variant<PageCall, Response> open_page(ServerContext& ctx, Request& req, store::Action action,
                                           const std::string& title) {
  auto auth = authorize(ctx, req, Credentials::browser, action, "");
  if (!auth.caller) return auth.refusal;
  PageCall call{std::move(*auth.caller), {}};
  call.shell.title = title;
  call.shell.csrf = call.caller.csrf();
  call.shell.plugins_link = true;
  call.shell.who = signed_in_text(ctx, call.caller);
  if (call.caller.session) call.shell.flash = ctx.sessions.take_flash(*call.caller.session);
  return call;
}

std::string text_field(const std::string& id, const std::string& label, const std::string& value,
                       const std::string& attrs) {
  return "<label for=\"" + ui::esc(id) + "\">" + ui::esc(label) +
         "</label><input type=\"text\" id=\"" + ui::esc(id) + "\" name=\"" + ui::esc(id) +
         "\" value=\"" + ui::esc(value) + "\"" + (attrs.empty() ? "" : " " + attrs) + ">";
}

namespace {

struct Notice {
  bool error = false;
  std::string html;  // escaped
};

void plugin_notices(ServerContext& ctx, std::vector<Notice>& out) {
  for (const auto& p : ctx.runtime.plugins()) {
    if (p.state != "awaiting-approval") continue;
    out.push_back({false, "Plugin <strong>" + ui::esc(p.manifest.id) + " " +
                              ui::esc(p.manifest.version) +
                              "</strong> awaits approval of its permissions: review it on <a "
                              "href=\"/admin/plugins\">Plugins</a>."});
  }
}

void token_notices(ServerContext& ctx, std::vector<Notice>& out) {
  auto spaces = ctx.runtime.store().spaces().list();
  if (!spaces) {
    out.push_back({true, "Cannot read the spaces: " + ui::esc(spaces.error().message)});
    return;
  }
  auto& audit = ctx.runtime.store().audit();
  for (const auto& sp : *spaces) {
    store::AuditQuery q;
    q.space = sp.key;
    q.space_id = sp.id;
    q.action_prefix = "space.test-connection";
    q.newest_first = true;
    q.limit = 1;
    auto rows = audit.query(q);
    if (!rows || rows->empty() || rows->front().verdict == "ok") continue;
    const auto& last = rows->front();
    auto token = ctx.runtime.store().spaces().token_status(sp.key);
    // A token set after the failed test has not been tested yet.
    if (token && token->configured && token->set_at_ms > last.at_ms) continue;
    std::string why = store::audit_detail_string(last.detail_json, "message");
    out.push_back({true, "The Grafana token of space <strong>" + ui::esc(sp.key) +
                             "</strong> is failing: the connection test at " +
                             ui::esc(store::format_time(last.at_ms)) + " failed" +
                             (why.empty() ? "" : " (" + ui::esc(why) + ")") +
                             ". A space admin sets a new token in <a href=\"/spaces/" +
                             ui::esc(sp.key) + "/settings\">its settings</a>."});
  }
}

void license_notices(ServerContext& ctx, std::vector<Notice>& out) {
  auto current = ctx.runtime.license().current();
  if (!current || current->expires == 0) return;
  const int64_t days = reconcile::days_left(current->expires, std::time(nullptr));
  if (days < 0) {
    out.push_back({true, "The license " + ui::esc(current->license_id) +
                             " has expired; gated features are off. Install a new one on <a "
                             "href=\"/admin/license\">License</a>."});
  } else if (days <= reconcile::kLicenseWarnDays) {
    out.push_back({false, "The license " + ui::esc(current->license_id) + " expires in " +
                              std::to_string(days) + (days == 1 ? " day" : " days") + " (" +
                              ui::esc(store::format_time(current->expires * 1000)) +
                              "). Install its renewal on <a href=\"/admin/license\">License</a>."});
  }
}

}  // namespace

void add_console_overview_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/admin", [&ctx](Request& req) {
    auto page = open_page(ctx, req, store::Action::space_list, "Console");
    if (auto* r = std::get_if<Response>(&page)) return std::move(*r);
    auto& call = std::get<PageCall>(page);
    std::vector<Notice> notices;
    plugin_notices(ctx, notices);
    token_notices(ctx, notices);
    license_notices(ctx, notices);
    std::string h =
        "<h1>Console</h1><p class=\"muted\">The platform admin's tasks. Each is also a "
        "<code>vitrine</code> command and a <code>/api/v1</code> endpoint (docs/admin.md).</p>"
        "<section aria-labelledby=\"notices\"><h2 id=\"notices\">Notices</h2>";
    if (notices.empty()) {
      h += "<p class=\"muted\" data-notices=\"0\">Nothing needs your attention.</p>";
    } else {
      h += "<ul class=\"notices\" data-notices=\"" + std::to_string(notices.size()) + "\">";
      for (const auto& n : notices) {
        h += std::string("<li") + (n.error ? " class=\"error\" role=\"alert\"" : "") + ">" +
             n.html + "</li>";
      }
      h += "</ul>";
    }
    h += "</section>";
    call.shell.body_html = h;
    return ui::page(200, call.shell);
  });
}

}  // namespace vitrine::server::console

namespace vitrine::server {

void add_console_routes(Router& router, ServerContext& ctx) {
  console::add_console_overview_routes(router, ctx);
  console::add_console_spaces_routes(router, ctx);
  console::add_console_plugins_routes(router, ctx);
  console::add_console_tokens_routes(router, ctx);
  console::add_console_license_routes(router, ctx);
  console::add_console_audit_routes(router, ctx);
}

}  // namespace vitrine::server
