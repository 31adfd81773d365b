// Browser sessions. The cookie carries only an opaque random id (256 bits).
// Sessions live in the database (store/sessions.h), so any host of a
// cluster serves any request of a signed-in browser and a restart signs
// nobody out. The database holds the id's SHA-256, never the id; a token
// session holds the admin token's id, never its text, and every find
// re-reads that token, so revoking it ends its sessions at once on every
// host. Sessions expire after an idle and an absolute lifetime.
//
// A session holds either an admin token (the token form) or a user signed
// in through OpenID Connect: their audit name, display name and the roles
// their groups mapped to at sign-in (roles are not re-read until the next
// sign-in; the absolute lifetime bounds how long a removed group lingers).
//
// While the database cannot answer, this host keeps answering with the
// session as it last read it (for up to kSessionRememberFor), marked
// `remembered`: the caller may then reuse only earlier authorization
// answers (server/auth_cache.h), never compute new ones.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/sessions.h"

namespace vitrine::server {

using SessionLimits = store::SessionLimits;

// How long a session read from the database may answer for it while the
// database cannot (the authorization cache's stale grace).
inline constexpr std::chrono::minutes kSessionRememberFor{10};

// A user signed in through OpenID Connect.
struct SessionUser {
  std::string who;           // audit name: user:<issuer host>/<subject>
  std::string display_name;  // name, else preferred_username, else email, else subject
  std::vector<std::string> roles;
  std::string id_token;  // the RP-initiated logout hint (never leaves the server otherwise)
};

struct SessionView {
  std::string id;
  std::string csrf;  // the per-session token every form carries
  // A token session: the token's id and its principal as the token is now
  // (the token's text is never kept). A user session: the audit name and
  // the roles mapped at sign-in.
  store::Principal principal;
  std::optional<SessionUser> user;
  bool remembered = false;  // the database could not answer; this is the last read
  bool has_flash = false;   // a one-shot message waits for the next page
};

// A lookup that tells "no session" from "the database could not answer".
struct SessionLookup {
  std::optional<SessionView> session;
  bool unavailable = false;  // Errc::io: answer 503 [store-unavailable], not the login form
  std::string message;       // why not (names a rule, or the store's error)
};

class SessionStore {
 public:
  using ContextSource = std::function<store::Context()>;
  // `context` gives the store's context (its database, keyring and clock)
  // each time; the store may be reopened under a running server.
  explicit SessionStore(ContextSource context, SessionLimits limits = {})
      : context_(std::move(context)), limits_(limits) {}

  // [thread-safe] The new session, or the store's error (Errc::io: the
  // database could not answer).
  store::Result<SessionView> create(const store::Principal& token);
  // Authenticates the admin token first (Errc::denied when it is not valid).
  store::Result<SessionView> create(const std::string& admin_token);
  store::Result<SessionView> create(const SessionUser& user);
  // [thread-safe]
  SessionLookup lookup(const std::string& id);
  std::optional<SessionView> find(const std::string& id) { return lookup(id).session; }
  void remove(const std::string& id);

  // One-shot message shown on the next page (POST-redirect-GET), on
  // whichever host serves it. [thread-safe]
  void set_flash(const std::string& id, const std::string& message);
  std::string take_flash(const SessionView& session);

  // Sessions in the database; 0 when it cannot answer. [thread-safe]
  std::size_t size() const;

 private:
  store::Sessions db() const { return store::Sessions(context_(), limits_); }
  void remember(const SessionView& view);
  void forget(const std::string& id);

  ContextSource context_;
  SessionLimits limits_;
  // Sessions as this host last read them, by SHA-256 of the id, for
  // answering while the database cannot. Bounded (cleared when full).
  struct Remembered {
    SessionView view;
    std::chrono::steady_clock::time_point at;
  };
  mutable std::mutex mu_;
  std::unordered_map<std::string, Remembered> remembered_;
};

// 32 random bytes as 64 hex characters; empty when the generator fails.
std::string random_hex_id();
// Constant-time equality for secrets of possibly different lengths.
bool constant_time_equal(const std::string& a, const std::string& b);

}  // namespace vitrine::server
