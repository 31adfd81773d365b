#include "server/auth.h"

#include <cctype>

#include "server/json_errors.h"
#include "server/ui/html.h"

namespace vitrine::server {
namespace {

std::optional<std::string> bearer_of(const Request& request) {
  const std::string h = request.header("authorization");
  static constexpr std::string_view kPrefix = "Bearer ";
  if (h.size() <= kPrefix.size() || h.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  return h.substr(kPrefix.size());
}

bool secure_cookies(const ServerContext& ctx) {
  return ctx.options.public_url.rfind("https://", 0) == 0;
}

Response refuse(const Request& request, Credentials how, store::Verdict verdict,
                const std::string& message) {
  using store::Verdict;
  if (verdict == Verdict::unavailable) return store_unavailable(request, how, message);
  if (how == Credentials::bearer) {
    switch (verdict) {
      case Verdict::unauthenticated: {
        Response r = json_error(401, "unauthenticated",
                                message.empty() ? "send 'Authorization: Bearer vtr_...' with an "
                                                  "admin API token ('vitrine tokens create')"
                                                : message);
        r.set_header("WWW-Authenticate", "Bearer realm=\"vitrine\"");
        return r;
      }
      case Verdict::not_found:
        return json_error(404, "not-found", message);
      case Verdict::denied:
      case Verdict::allow:
      case Verdict::unavailable:
        return json_error(403, "forbidden", message);
    }
  }
  switch (verdict) {
    case Verdict::unauthenticated:
      // Only a GET can be replayed after logging in.
      if (request.method == "GET") {
        std::string next;
        for (unsigned char c : request.path) {
          static constexpr char kHex[] = "0123456789ABCDEF";
          if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.') {
            next += static_cast<char>(c);
          } else {
            next += '%';
            next += kHex[c >> 4];
            next += kHex[c & 15];
          }
        }
        return redirect("/login?next=" + next);
      }
      return ui::error_page(401, "Log in first",
                            "Your session has ended. Log in again with an admin API token.");
    case Verdict::not_found:
      return ui::error_page(404, "Not found",
                            "There is no such page, or it is not in a space you may view.");
    case Verdict::denied:
    case Verdict::allow:
    case Verdict::unavailable:
      return ui::error_page(403, "Not allowed",
                            "Your role does not allow this here. Ask a space admin of this space.");
  }
  return ui::error_page(403, "Not allowed", message);
}

// What the request presents, by the route's rules: a bearer token, or
// (browser routes) the session of its cookie. `unavailable` when the
// database could not say whether the cookie's session exists.
struct Credential {
  std::string bearer;                       // the bearer token's text; empty for sessions
  std::optional<SessionView> session = {};  // browser sessions
  bool unavailable = false;
  std::string cause = {};
};

std::optional<Credential> credential(ServerContext& ctx, const Request& request, Credentials how) {
  if (auto bearer = bearer_of(request)) return Credential{*bearer, std::nullopt};
  if (how == Credentials::browser) {
    auto cookies = parse_cookies(request.header("cookie"));
    auto it = cookies.find(kSessionCookie);
    if (it == cookies.end()) return std::nullopt;
    auto found = ctx.sessions.lookup(it->second);
    if (found.unavailable) return Credential{{}, std::nullopt, true, found.message};
    if (found.session) return Credential{{}, std::move(found.session)};
  }
  return std::nullopt;
}

// Bearer credentials that fail cost the client address (rate_limit.h). A
// request that did not come through the listener has no address and is
// not limited (in-process callers).
void count_failure(ServerContext& ctx, const Request& request) {
  if (!request.client.empty()) ctx.sign_in_limiter.failed(request.client, "", true);
}

std::optional<RateDecision> limited(ServerContext& ctx, const Request& request) {
  if (request.client.empty()) return std::nullopt;
  auto d = ctx.sign_in_limiter.check(request.client);
  if (d.allowed) return std::nullopt;
  return d;
}

}  // namespace

Response store_unavailable(const Request& request, Credentials how, const std::string& cause) {
  const std::string message =
      "the store is unavailable: " + cause + "; retrying [store-unavailable]";
  Response r = how == Credentials::bearer || bearer_of(request)
                   ? json_error(503, "store-unavailable", message)
                   : ui::error_page(503, "Store unavailable", message);
  r.set_header("Retry-After", std::to_string(kStoreRetryAfterSeconds));
  return r;
}

std::string Caller::who() const {
  if (session && session->user) return session->user->who;
  return std::string(session ? "ui:" : "api:") + principal.token_id;
}

Identity identity_of(ServerContext& ctx, const Caller& caller) {
  Identity id;
  if (caller.session && caller.session->user) {
    id.user = true;
    id.name = caller.session->user->display_name;
  } else {
    id.name = "token " + caller.principal.token_id;
    // One primary-key read per page view (the header), not a list of every token.
    auto row = ctx.runtime.store().backend().find_admin_token_by_id(caller.principal.token_id);
    if (row && !row->name.empty()) id.name += " (" + row->name + ")";
  }
  const std::vector<store::Role> single{caller.principal.role};
  for (const auto& r : caller.principal.roles.empty() ? single : caller.principal.roles) {
    id.roles.push_back(store::to_string(r));
  }
  return id;
}

Response rate_limited(const Request& request, Credentials how, const RateDecision& decision) {
  // The limiter could not ask the store (rate_limit_db.h): 503, not 429.
  if (decision.rule == rules::kStoreUnavailable) {
    return store_unavailable(request, how, decision.cause);
  }
  const std::string wait = std::to_string(decision.retry_after.count());
  const std::string message = "too many sign-in attempts or failed tokens from here [" +
                              decision.rule + "]; wait " + wait + " s and try again";
  Response r = how == Credentials::bearer || bearer_of(request)
                   ? json_error(429, "rate-limited", message)
                   : ui::error_page(429, "Too many attempts", message);
  r.set_header("Retry-After", wait);
  return r;
}

std::optional<SessionView> session_of(ServerContext& ctx, const Request& request) {
  auto cookies = parse_cookies(request.header("cookie"));
  auto it = cookies.find(kSessionCookie);
  if (it == cookies.end()) return std::nullopt;
  return ctx.sessions.find(it->second);
}

std::string session_cookie(const ServerContext& ctx, const std::string& id) {
  return std::string(kSessionCookie) + "=" + id + "; Path=/; HttpOnly; SameSite=Strict" +
         (secure_cookies(ctx) ? "; Secure" : "");
}

std::string clear_session_cookie(const ServerContext& ctx) {
  return std::string(kSessionCookie) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" +
         (secure_cookies(ctx) ? "; Secure" : "");
}

AuthResult authenticate(ServerContext& ctx, const Request& request, Credentials how) {
  AuthResult out;
  auto cred = credential(ctx, request, how);
  if (!cred) {
    out.refusal = refuse(request, how, store::Verdict::unauthenticated, {});
    return out;
  }
  if (cred->unavailable) {
    out.refusal = store_unavailable(request, how, cred->cause);
    return out;
  }
  if (cred->session) {
    // A token session read while the database answered carries its
    // token's current principal; one remembered through an outage cannot
    // have its token checked now.
    if (cred->session->remembered && !cred->session->user) {
      out.refusal = store_unavailable(request, how, "the session's admin token cannot be checked");
      return out;
    }
    out.caller = Caller{cred->session->principal, {}, cred->session};
    return out;
  }
  if (auto d = limited(ctx, request)) {
    out.refusal = rate_limited(request, how, *d);
    return out;
  }
  auto principal = ctx.runtime.store().admin_tokens().authenticate(cred->bearer);
  if (!principal && principal.error().code == store::Errc::io) {
    out.refusal = store_unavailable(request, how, principal.error().message);
    return out;
  }
  if (!principal) {
    count_failure(ctx, request);
    out.refusal = refuse(request, how, store::Verdict::unauthenticated, principal.error().message);
    return out;
  }
  out.caller = Caller{*principal, cred->bearer, std::nullopt};
  return out;
}

AuthResult authorize(ServerContext& ctx, const Request& request, Credentials how,
                     store::Action action, const std::string& space) {
  AuthResult out;
  auto cred = credential(ctx, request, how);
  if (!cred) {
    out.refusal = refuse(request, how, store::Verdict::unauthenticated, {});
    return out;
  }
  if (cred->unavailable) {
    out.refusal = store_unavailable(request, how, cred->cause);
    return out;
  }
  const bool bearer = !cred->session;
  if (bearer) {
    if (auto d = limited(ctx, request)) {
      out.refusal = rate_limited(request, how, *d);
      return out;
    }
  }
  // A session's principal was read from the database by this request (a
  // token session's from its token's row); one remembered through an
  // outage gets only earlier answers.
  auto a = bearer ? ctx.auth_cache.authorize(ctx.runtime.store().admin_tokens(), cred->bearer,
                                             action, space)
           : cred->session->remembered
               ? ctx.auth_cache.remembered(cred->session->principal, action, space,
                                           "the session cannot be read")
               : ctx.auth_cache.decide(ctx.runtime.store().admin_tokens(), cred->session->principal,
                                       action, space);
  if (a.verdict != store::Verdict::allow) {
    if (bearer && a.verdict == store::Verdict::unauthenticated) count_failure(ctx, request);
    out.refusal = refuse(request, how, a.verdict, a.message);
    return out;
  }
  out.caller = Caller{a.principal, cred->bearer, cred->session};
  return out;
}

bool permits(ServerContext& ctx, const Caller& caller, store::Action action,
             const std::string& space) {
  if (caller.session && caller.session->remembered) {
    return ctx.auth_cache.remembered(caller.principal, action, space, {}).verdict ==
           store::Verdict::allow;
  }
  if (caller.session) {
    return ctx.auth_cache
               .decide(ctx.runtime.store().admin_tokens(), caller.principal, action, space)
               .verdict == store::Verdict::allow;
  }
  return ctx.auth_cache.authorize(ctx.runtime.store().admin_tokens(), caller.token, action, space)
             .verdict == store::Verdict::allow;
}

}  // namespace vitrine::server
