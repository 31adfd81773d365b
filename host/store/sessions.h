// Browser sessions in the database (table sessions, backend.h SessionRow),
// so every host of a cluster serves every request of a signed-in browser,
// and a restart signs nobody out.
//
//   cookie id  32 random bytes as 64 lowercase hex characters; only its
//              SHA-256 hex is stored, so reading the table does not give
//              anyone a cookie to present
//   token      a token session stores the admin token's id, never its text;
//              every find re-reads that token (AdminTokens::principal_of_id),
//              so revoking it, its expiry or deleting its space ends the
//              session at once on every host
//   user       a user session stores the audit name, the display name and
//              the roles mapped at sign-in (one per line; re-read only at the
//              next sign-in, the absolute lifetime bounds how long a removed
//              group lingers) and the ID token, the RP-initiated logout hint,
//              sealed with the keyring (AES-256-GCM, AAD kind "session", name
//              "sessions", context the id hash). Without a keyring no ID
//              token is stored and sign-out skips the provider.
//   last_seen  written at most once a minute per session, so a page view
//              costs one SELECT (and the token's row), not a write
//
// find(id) answers from a table of rules, checked in this order; a refusal
// is Errc::not_found or Errc::denied whose message names its rule and says
// what to do; Errc::io means the database could not answer (no judgement):
//   session-malformed      the id is not 64 lowercase hex characters
//   session-unknown        no session has this id (signed out, or purged)
//   session-absolute       older than the absolute lifetime (24 h)
//   session-idle           not used for longer than the idle lifetime (8 h)
//   session-token-inactive the session's admin token was revoked, expired
//                          or its space deleted
// A session refused for its lifetime or its token is deleted.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "store/admin_tokens.h"
#include "store/backend.h"
#include "store/context.h"

namespace vitrine::store {

namespace rules {
constexpr const char* kSessionMalformed =
    "session-malformed";  // the session id is not 64 lowercase hex characters
constexpr const char* kSessionUnknown = "session-unknown";  // no session has this id
constexpr const char* kSessionAbsolute =
    "session-absolute";  // the session is older than its absolute lifetime
constexpr const char* kSessionIdle = "session-idle";  // the session was idle too long
constexpr const char* kSessionTokenInactive =
    "session-token-inactive";  // the session's admin token was revoked, expired or lost its space
}  // namespace rules

struct SessionLimits {
  std::chrono::seconds idle{std::chrono::hours(8)};
  std::chrono::seconds absolute{std::chrono::hours(24)};
  std::size_t max_sessions = 10'000;  // the least recently seen are dropped beyond this
};

// last_seen is written when it is at least this old.
inline constexpr int64_t kSessionTouchIntervalMs = 60'000;

struct Session {
  std::string id;    // the cookie's id (the caller's; never read back from the database)
  std::string csrf;  // the per-session token every form carries
  // Token sessions: the token's id, and its principal as the token is now.
  // User sessions: principal.user is the audit name, the roles as mapped.
  Principal principal;
  bool user = false;  // signed in through OpenID Connect
  std::string display_name;
  std::vector<std::string> roles;  // a user's, as text
  std::string id_token;            // a user's logout hint; empty when none was stored
  int64_t created_at_ms = 0;
  int64_t last_seen_ms = 0;
  // A one-shot message waits (set_flash); only then does the next page ask
  // for it with take_flash, so most views cost no second statement.
  bool has_flash = false;
};

class Sessions {
 public:
  Sessions(Context ctx, SessionLimits limits) : ctx_(std::move(ctx)), limits_(limits) {}

  // A new session for an authenticated token (principal.token_id set), or
  // for a user. Both purge expired rows and drop the least recently seen
  // beyond max_sessions first. [thread-safe]
  Result<Session> create_for_token(const Principal& token);
  Result<Session> create_for_user(const std::string& who, const std::string& display_name,
                                  const std::vector<std::string>& roles,
                                  const std::string& id_token);
  // The rules above. [thread-safe]
  Result<Session> find(const std::string& id);
  // Signing out; removing a session that is gone is not an error.
  Status remove(const std::string& id);
  // One-shot message shown on the next page (POST-redirect-GET); taking it
  // reads and clears it, so it shows once on whichever host serves the
  // next page.
  Status set_flash(const std::string& id, const std::string& message);
  Result<std::string> take_flash(const std::string& id);
  // Rows in the table (expired ones not yet purged included).
  Result<std::size_t> count();
  // Deletes the expired rows; answers how many.
  Result<int64_t> purge();

  // SHA-256 hex of a cookie id: the only form of it the database holds.
  static std::string hash_of(const std::string& id);

 private:
  Result<Session> insert(SessionRow row, const std::string& id_token, Session out);
  Context ctx_;
  SessionLimits limits_;
};

}  // namespace vitrine::store
