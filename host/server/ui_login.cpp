// Browser login: a form that takes an admin API token (vtr_...). The token
// is checked, kept server-side in the session map, and the browser gets only
// an opaque random session id in an HttpOnly, SameSite=Strict cookie (Secure
// when public_url is https). Also the start page and logout.
#include <openssl/crypto.h>

#include "log/log.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/csrf.h"
#include "server/ui/html.h"

namespace vitrine::server {
namespace {

// Only a local path may follow login, never another site ("//evil",
// "/\evil" and schemes are refused): no open redirect.
std::string safe_next(const std::string& next) {
  if (next.size() < 1 || next.size() > 512 || next[0] != '/') return "/";
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "/";
  for (char c : next) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || c == '\\') return "/";
  }
  return next;
}

Response login_form(int status, const std::string& next, const std::string& message) {
  ui::Shell s;
  s.title = "Log in";
  s.body_html =
      "<h1>Log in</h1>"
      "<p>Paste an admin API token. Ask a platform admin for one "
      "(<code>vitrine tokens create --role viewer:SPACE</code>).</p>";
  if (!message.empty()) s.body_html += "<p class=\"flash error\">" + ui::esc(message) + "</p>";
  s.body_html +=
      "<form method=\"post\" action=\"/login\">"
      "<input type=\"hidden\" name=\"next\" value=\"" +
      ui::esc(safe_next(next)) +
      "\"><label for=\"token\">Admin API token</label>"
      "<input type=\"password\" id=\"token\" name=\"token\" value=\"\" autocomplete=\"off\" "
      "required placeholder=\"vtr_...\"><p><button type=\"submit\">Log in</button></p></form>";
  return ui::page(status, s);
}

}  // namespace

void add_login_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/login", [](Request& req) {
    return login_form(200, req.query_param("next").value_or("/"), {});
  });

  router.add("POST", "/login", [&ctx](Request& req) {
    // No session exists yet, so the Origin check is the CSRF defence here
    // (it stops login CSRF: a foreign site logging a browser in).
    if (!same_origin(ctx, req)) return csrf_refusal();
    auto form = parse_form(req.body);
    if (!req.body.empty()) OPENSSL_cleanse(req.body.data(), req.body.size());
    const std::string next = form["next"];
    std::string& token = form["token"];
    auto principal = ctx.runtime.store().admin_tokens().authenticate(token);
    if (!principal) {
      OPENSSL_cleanse(token.data(), token.size());
      log::info("ui.login_refused", {});
      return login_form(401, next, "Unknown or revoked admin token. Check it and try again.");
    }
    auto session = ctx.sessions.create(token);
    OPENSSL_cleanse(token.data(), token.size());
    if (!session) {
      return ui::error_page(500, "Login failed", "The random generator failed; try again.");
    }
    log::info("ui.login", {{"token_id", principal->token_id}});
    Response r = redirect(safe_next(next));
    r.set_header("Set-Cookie", session_cookie(ctx, session->id));
    return r;
  });

  router.add("POST", "/logout", [&ctx](Request& req) {
    Response r = redirect("/login");
    r.set_header("Set-Cookie", clear_session_cookie(ctx));
    auto session = session_of(ctx, req);
    if (!session) return r;
    if (!form_allowed(ctx, req, *session, parse_form(req.body))) return csrf_refusal();
    ctx.sessions.remove(session->id);
    return r;
  });

  router.add("GET", "/", [&ctx](Request& req) {
    auto auth = authenticate(ctx, req, Credentials::browser);
    if (!auth.caller) return redirect("/login");
    const auto& role = auth.caller->principal.role;
    std::vector<store::SpaceRow> spaces;
    if (role.kind == store::Role::Kind::platform_admin) {
      if (auto all = ctx.runtime.store().spaces().list()) spaces = *all;
    } else if (auto own = ctx.runtime.store().spaces().show(role.space)) {
      spaces.push_back(own->space);
    }
    ui::Shell s;
    s.title = "Spaces";
    s.csrf = auth.caller->csrf();
    s.plugins_link = role.kind == store::Role::Kind::platform_admin;
    s.body_html = "<h1>Spaces</h1>";
    if (spaces.empty()) s.body_html += "<p class=\"muted\">No spaces yet.</p>";
    s.body_html += "<ul>";
    for (const auto& sp : spaces) {
      s.body_html += "<li><a href=\"/spaces/" + ui::esc(sp.key) + "\">" +
                     ui::esc(sp.display_name.empty() ? sp.key : sp.display_name) + "</a></li>";
    }
    s.body_html += "</ul>";
    return ui::page(200, s);
  });
}

}  // namespace vitrine::server
