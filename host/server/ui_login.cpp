// Browser login: a form that takes an admin API token (vtr_...). The token
// is checked, kept server-side in the session map, and the browser gets only
// an opaque random session id in an HttpOnly, SameSite=Strict cookie (Secure
// when public_url is https). Also the start page and logout.
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>

#include "log/log.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/csrf.h"
#include "server/ui/html.h"
#include "server/ui_console.h"

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

// The sign-in methods auth: enables: single sign-on (a link that starts
// the OpenID Connect flow) and/or the token form.
Response login_form(const ServerContext& ctx, int status, const std::string& next,
                    const std::string& message) {
  ui::Shell s;
  s.title = "Log in";
  s.body_html = "<h1>Log in</h1>";
  if (!message.empty()) s.body_html += "<p class=\"flash error\">" + ui::esc(message) + "</p>";
  if (ctx.oidc) {
    std::string encoded;
    for (unsigned char c : safe_next(next)) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.') {
        encoded += static_cast<char>(c);
      } else {
        encoded += '%';
        encoded += kHex[c >> 4];
        encoded += kHex[c & 15];
      }
    }
    s.body_html += "<p><a class=\"button\" id=\"sso\" href=\"/login/oidc?next=" + ui::esc(encoded) +
                   "\">" + ui::esc(ctx.options.auth.oidc.label) + "</a></p>";
  }
  if (!ctx.options.auth.token_login) return ui::page(status, s);
  s.body_html +=
      "<p>Paste an admin API token. Ask a platform admin for one "
      "(<code>vitrine tokens create --role viewer:SPACE</code>).</p>";
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
  router.add("GET", "/login", [&ctx](Request& req) {
    return login_form(ctx, 200, req.query_param("next").value_or("/"), {});
  });

  router.add("POST", "/login", [&ctx](Request& req) {
    // No session exists yet, so the Origin check is the CSRF defence here
    // (it stops login CSRF: a foreign site logging a browser in).
    if (!same_origin(ctx, req)) return csrf_refusal();
    if (!ctx.options.auth.token_login) {
      return ui::error_page(404, "Not found",
                            "Signing in with a token is turned off here (auth.token_login).");
    }
    if (!req.client.empty()) {
      auto d = ctx.sign_in_limiter.attempt(req.client, "");
      if (!d.allowed) return rate_limited(req, Credentials::browser, d);
    }
    auto form = parse_form(req.body);
    if (!req.body.empty()) OPENSSL_cleanse(req.body.data(), req.body.size());
    const std::string next = form["next"];
    std::string& token = form["token"];
    auto principal = ctx.runtime.store().admin_tokens().authenticate(token);
    if (!principal && principal.error().code == store::Errc::io) {
      // Not a wrong token: the database could not say. Not counted.
      OPENSSL_cleanse(token.data(), token.size());
      return store_unavailable(req, Credentials::browser, principal.error().message);
    }
    if (!principal) {
      OPENSSL_cleanse(token.data(), token.size());
      log::info("ui.login_refused", {});
      if (!req.client.empty()) ctx.sign_in_limiter.failed(req.client, "", false);
      return login_form(ctx, 401, next,
                        principal.error().message.find("expired") != std::string::npos
                            ? principal.error().message
                            : "Unknown or revoked admin token. Check it and try again.");
    }
    // The session names the token by id; its text is not kept.
    OPENSSL_cleanse(token.data(), token.size());
    auto session = ctx.sessions.create(*principal);
    if (!session && session.error().code == store::Errc::io) {
      return store_unavailable(req, Credentials::browser, session.error().message);
    }
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
    // RP-initiated logout: a user signed in through a provider that offers
    // it is signed out there too, then comes back to the login page.
    if (session->user && ctx.oidc) {
      const std::string& cb = ctx.oidc->redirect_uri();
      const std::string back = cb.substr(0, cb.rfind("/login/oidc/callback")) + "/login";
      if (auto url = ctx.oidc->logout_url(session->user->id_token, back)) {
        // Not a redirect: the form's CSP (form-action 'self') would block a
        // redirect to the provider. A page that moves on by itself (Refresh)
        // and offers the link.
        ui::Shell page;
        page.title = "Signing out";
        page.body_html =
            "<h1>Signed out of Vitrine</h1><p>Signing you out at your sign-in provider too "
            "&hellip;</p><p><a id=\"provider-logout\" href=\"" +
            ui::esc(*url) + "\">Continue</a></p>";
        Response out = ui::page(200, page);
        out.set_header("Refresh", "0;url=" + *url);
        out.set_header("Set-Cookie", clear_session_cookie(ctx));
        return out;
      }
    }
    return r;
  });

  router.add("GET", "/", [&ctx](Request& req) {
    auto auth = authenticate(ctx, req, Credentials::browser);
    if (!auth.caller) return redirect("/login");
    const auto& principal = auth.caller->principal;
    std::vector<store::SpaceRow> spaces;
    if (principal.platform_admin()) {
      if (auto all = ctx.runtime.store().spaces().list()) spaces = *all;
    } else {
      for (const auto& role : principal.roles) {
        auto own = ctx.runtime.store().spaces().show(role.space);
        const bool listed = std::any_of(spaces.begin(), spaces.end(),
                                        [&](const auto& sp) { return sp.key == role.space; });
        if (own && !listed) spaces.push_back(own->space);
      }
    }
    ui::Shell s;
    s.title = "Spaces";
    s.csrf = auth.caller->csrf();
    s.plugins_link = principal.platform_admin();
    s.who = console::signed_in_text(ctx, *auth.caller);
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
