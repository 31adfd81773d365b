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
      return ui::error_page(403, "Not allowed",
                            "Your role does not allow this here. Ask a space admin of this space.");
  }
  return ui::error_page(403, "Not allowed", message);
}

// The token the request presents, by the route's rules.
std::optional<std::pair<std::string, std::optional<SessionView>>> credential(ServerContext& ctx,
                                                                             const Request& request,
                                                                             Credentials how) {
  if (auto bearer = bearer_of(request)) return std::make_pair(*bearer, std::nullopt);
  if (how == Credentials::browser) {
    if (auto s = session_of(ctx, request)) return std::make_pair(s->token, s);
  }
  return std::nullopt;
}

}  // namespace

std::string Caller::who() const {
  return std::string(session ? "ui:" : "api:") + principal.token_id;
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
  auto principal = ctx.runtime.store().admin_tokens().authenticate(cred->first);
  if (!principal) {
    out.refusal = refuse(request, how, store::Verdict::unauthenticated, principal.error().message);
    return out;
  }
  out.caller = Caller{*principal, cred->first, cred->second};
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
  auto a = ctx.auth_cache.authorize(ctx.runtime.store().admin_tokens(), cred->first, action, space);
  if (a.verdict != store::Verdict::allow) {
    out.refusal = refuse(request, how, a.verdict, a.message);
    return out;
  }
  out.caller = Caller{a.principal, cred->first, cred->second};
  return out;
}

bool permits(ServerContext& ctx, const Caller& caller, store::Action action,
             const std::string& space) {
  return ctx.auth_cache.authorize(ctx.runtime.store().admin_tokens(), caller.token, action, space)
             .verdict == store::Verdict::allow;
}

}  // namespace vitrine::server
