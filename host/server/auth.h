// Who is calling, and may they do this? The JSON API accepts only
// `Authorization: Bearer vtr_...` (never cookies, so no cross-site request
// can carry an API credential). Browser routes accept the session cookie or
// a bearer token. The verdict comes from store::AdminTokens::authorize:
// another space's resources answer 404 exactly like missing ones (P6).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/context.h"
#include "server/http.h"
#include "server/rate_limit.h"
#include "store/admin_tokens.h"

namespace vitrine::server {

inline constexpr const char* kSessionCookie = "vitrine_session";

enum class Credentials { bearer, browser };

struct Caller {
  store::Principal principal;
  // A bearer request's token text: stays in memory, never logged or echoed.
  // Empty for browser sessions (they name their token by id in principal).
  std::string token;
  std::optional<SessionView> session;  // browser sessions only
  // The name written into audit rows: api:<token id>, ui:<token id>, or
  // user:<issuer host>/<subject> for a user signed in through OpenID Connect.
  std::string who() const;
  std::string csrf() const { return session ? session->csrf : std::string(); }
};

struct AuthResult {
  std::optional<Caller> caller;  // set when allowed
  Response refusal;              // otherwise: 401 / 403 / 404 in the route's style
};

// Any valid token, no particular action (license, space list).
AuthResult authenticate(ServerContext& ctx, const Request& request, Credentials how);
// A valid token whose role allows `action` in `space`.
AuthResult authorize(ServerContext& ctx, const Request& request, Credentials how,
                     store::Action action, const std::string& space);
// For optional parts of a page or answer (show token status to admins only).
bool permits(ServerContext& ctx, const Caller& caller, store::Action action,
             const std::string& space);

// Who the caller is, for the page header: a display name (the user's name
// as the provider reported it, or "token <id>" / "token <id> (<name>)") and
// every role they hold. Principal::user is the audit name
// (user:<issuer host>/<subject>), not meant for display.
struct Identity {
  std::string name;
  std::vector<std::string> roles;  // platform-admin first
  bool user = false;               // signed in through OpenID Connect
};
Identity identity_of(ServerContext& ctx, const Caller& caller);

// Rule store-unavailable: the database could not answer (store::Errc::io),
// which says nothing about the caller's credential. 503 with Retry-After in
// the route's style (JSON for bearer calls, the error page for browsers),
// never 401 or a redirect to the login form, and never counted as a failed
// sign-in. `cause` is the store's message (it names no secret).
inline constexpr int kStoreRetryAfterSeconds = 5;
Response store_unavailable(const Request& request, Credentials how, const std::string& cause);

// 429 with Retry-After in the route's style (rate_limit.h).
Response rate_limited(const Request& request, Credentials how, const RateDecision& decision);

// The session of the request's cookie, when any.
std::optional<SessionView> session_of(ServerContext& ctx, const Request& request);
// Set-Cookie values that set / clear the session cookie.
std::string session_cookie(const ServerContext& ctx, const std::string& id);
std::string clear_session_cookie(const ServerContext& ctx);

}  // namespace vitrine::server
