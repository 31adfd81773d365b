// Sign-in through OpenID Connect (docs/admin.md "Sign-in"):
//   GET /login/oidc            starts a login transaction (rate limited per
//                              client address) and redirects to the provider
//   GET /login/oidc/callback   the provider's answer: the transaction cookie
//                              is taken once, then oidc::Client::finish;
//                              the user is recorded and a session holds their
//                              roles. Every outcome is audited (user.sign-in)
//                              and every refusal names its rule.
// The transaction cookie (vitrine_oidc) is HttpOnly, SameSite=Lax (it must
// come back on the provider's top-level redirect), Path=/login/oidc and
// lives 10 minutes; it carries only a random id.
#include <string>

#include "log/log.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/ui/html.h"
#include "store/audit.h"

namespace vitrine::server {
namespace {

constexpr const char* kTransactionCookie = "vitrine_oidc";

bool secure(const ServerContext& ctx) { return ctx.options.public_url.rfind("https://", 0) == 0; }

std::string transaction_cookie(const ServerContext& ctx, const std::string& value, int max_age) {
  return std::string(kTransactionCookie) + "=" + value +
         "; Path=/login/oidc; Max-Age=" + std::to_string(max_age) + "; HttpOnly; SameSite=Lax" +
         (secure(ctx) ? "; Secure" : "");
}

std::string issuer_host(const std::string& issuer) {
  auto start = issuer.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  return issuer.substr(start, issuer.find('/', start) - start);
}

std::string display_name(const oidc::IdClaims& c) {
  for (const std::string* s : {&c.name, &c.preferred_username, &c.email, &c.sub}) {
    if (!s->empty()) return s->substr(0, 128);
  }
  return c.sub;
}

// The address the provider sends the browser back to.
std::string redirect_uri_of(const ServerOptions& o) {
  if (!o.auth.oidc.redirect_uri.empty()) return o.auth.oidc.redirect_uri;
  const std::string base =
      o.public_url.empty() ? "http://" + o.host + ":" + std::to_string(o.port) : o.public_url;
  return base + "/login/oidc/callback";
}

Response refusal_page(int status, const std::string& rule, const std::string& message) {
  ui::Shell s;
  s.title = "Sign-in refused";
  s.body_html = "<h1>Sign-in refused</h1><p class=\"flash error\">" + ui::esc(message) +
                "</p><p class=\"muted\">Rule: <code>" + ui::esc(rule) +
                "</code></p><p><a href=\"/login\">Back to sign-in</a></p>";
  return ui::page(status, s);
}

void audit(ServerContext& ctx, const std::string& who, const std::string& verdict,
           const std::string& rule, const std::string& roles) {
  store::Detail detail;
  if (!rule.empty()) detail.push_back({"rule", rule});
  if (!roles.empty()) detail.push_back({"roles", roles});
  (void)ctx.runtime.store().audit().record(
      store::AuditEvent{who, "", "user.sign-in", who, verdict, detail});
}

}  // namespace

RateLimits sign_in_limits(const config::AuthConfig& auth) {
  RateLimits l;
  l.per_minute = auth.sign_in_per_minute;
  l.burst = auth.sign_in_burst;
  l.free_failures = auth.account_free_failures;
  l.max_backoff = std::chrono::seconds(auth.account_max_backoff_s);
  return l;
}

std::unique_ptr<oidc::Client> make_oidc_client(const ServerOptions& options) {
  if (options.auth.oidc.issuer.empty()) return nullptr;
  return std::make_unique<oidc::Client>(options.auth.oidc, redirect_uri_of(options),
                                        options.oidc_client_secret);
}

void add_oidc_login_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/login/oidc", [&ctx](Request& req) {
    if (!ctx.oidc) {
      return ui::error_page(404, "Not found",
                            "Single sign-on is not configured here (auth.oidc in vitrine.yml).");
    }
    if (!req.client.empty()) {
      auto d = ctx.sign_in_limiter.attempt(req.client, "");
      if (!d.allowed) return rate_limited(req, Credentials::browser, d);
    }
    const std::string next = req.query_param("next").value_or("/");
    if (oidc::safe_return_to(next) != next) {
      log::info("oidc.return_to_refused", {{"rule", oidc::rules::kReturnTo}});
    }
    auto t = ctx.oidc->transactions().create(next);
    if (!t) return ui::error_page(500, "Sign-in failed", "The random generator failed; try again.");
    auto url = ctx.oidc->authorization_url(*t);
    if (!url) {
      (void)ctx.oidc->transactions().take(t->id);
      log::warn("oidc.discovery_failed", {{"error", url.error().message}});
      return ui::error_page(502, "Sign-in provider unreachable",
                            url.error().message + ". Try again later, or sign in with a token.");
    }
    Response r = redirect(*url);
    r.set_header("Set-Cookie", transaction_cookie(ctx, t->id, 600));
    return r;
  });

  router.add("GET", "/login/oidc/callback", [&ctx](Request& req) {
    if (!ctx.oidc) {
      return ui::error_page(404, "Not found",
                            "Single sign-on is not configured here (auth.oidc in vitrine.yml).");
    }
    if (!req.client.empty()) {
      auto d = ctx.sign_in_limiter.check(req.client);
      if (!d.allowed) return rate_limited(req, Credentials::browser, d);
    }
    auto cookies = parse_cookies(req.header("cookie"));
    auto it = cookies.find(kTransactionCookie);
    auto t = it == cookies.end() ? std::nullopt : ctx.oidc->transactions().take(it->second);
    auto fail = [&](int status, const std::string& who, const std::string& rule,
                    const std::string& message) {
      if (!req.client.empty()) ctx.sign_in_limiter.failed(req.client, who, true);
      audit(ctx, who.empty() ? "oidc:unknown" : who, "deny", rule, {});
      log::info("oidc.sign_in_refused", {{"rule", rule}});
      Response r = refusal_page(status, rule, message);
      r.set_header("Set-Cookie", transaction_cookie(ctx, "", 0));
      return r;
    };
    if (!t) {
      return fail(400, "", "oidc-state",
                  "This sign-in is not known to this browser, has expired or was already used. "
                  "Start the sign-in again.");
    }
    if (auto error = req.query_param("error")) {
      return fail(400, "", "oidc-provider-error",
                  "The sign-in provider refused: " + error->substr(0, 64) +
                      ". Start the sign-in again or ask your identity admin.");
    }
    auto in = ctx.oidc->finish(*t, req.query_param("state").value_or(""),
                               req.query_param("code").value_or(""),
                               ctx.runtime.store().context().now() / 1000);
    const std::string who =
        in.claims.sub.empty()
            ? std::string()
            : "user:" + issuer_host(ctx.oidc->config().issuer) + "/" + in.claims.sub;
    if (!in.ok) {
      const int status = in.rule == "oidc-no-role" ? 403 : 400;
      return fail(status, who, in.rule, in.message);
    }
    const int64_t now = ctx.runtime.store().context().now();
    store::UserRow row{ctx.oidc->config().issuer,      in.claims.sub, display_name(in.claims),
                       in.claims.email.substr(0, 256), now,           now};
    if (auto st = ctx.runtime.store().backend().upsert_user(row); !st) {
      log::warn("oidc.user_record_failed", {{"error", st.error().message}});
    }
    SessionUser user;
    user.who = who;
    user.display_name = row.name;
    for (const auto& r : in.roles) user.roles.push_back(store::to_string(r));
    user.id_token = in.id_token;
    auto session = ctx.sessions.create(user);
    if (!session && session.error().code == store::Errc::io) {
      return store_unavailable(req, Credentials::browser, session.error().message);
    }
    if (!session) return ui::error_page(500, "Sign-in failed", "The random generator failed.");
    ctx.sign_in_limiter.succeeded(who);
    std::string roles;
    for (const auto& r : user.roles) roles += (roles.empty() ? "" : " ") + r;
    audit(ctx, who, "ok", {}, roles);
    log::info("oidc.sign_in", {{"who", who}});
    Response r = redirect(t->return_to);
    r.set_header("Set-Cookie", session_cookie(ctx, session->id));
    r.headers.emplace_back("Set-Cookie", transaction_cookie(ctx, "", 0));
    return r;
  });
}

}  // namespace vitrine::server
