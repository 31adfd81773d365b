// Browser sessions. The cookie carries only an opaque random id (256 bits);
// the admin token a user logged in with stays in this process's memory so
// every request is re-authorized against the store (a revoked token ends
// its sessions at once). Sessions expire after an idle and an absolute
// lifetime and are lost on restart by design.
//
// A session holds either an admin token (the token form) or a user signed
// in through OpenID Connect: their audit name, display name and the roles
// their groups mapped to at sign-in (roles are not re-read until the next
// sign-in; the absolute lifetime bounds how long a removed group lingers).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/crypto/secure_bytes.h"

namespace vitrine::server {

struct SessionLimits {
  std::chrono::seconds idle{std::chrono::hours(8)};
  std::chrono::seconds absolute{std::chrono::hours(24)};
  std::size_t max_sessions = 10'000;  // the oldest is dropped beyond this
};

// A user signed in through OpenID Connect.
struct SessionUser {
  std::string who;           // audit name: user:<issuer host>/<subject>
  std::string display_name;  // name, else preferred_username, else email, else subject
  std::vector<std::string> roles;
  std::string id_token;  // the RP-initiated logout hint (never leaves the server otherwise)
};

struct SessionView {
  std::string id;
  std::string csrf;   // the per-session token every form carries
  std::string token;  // the admin token (never leaves the server); empty for a user
  std::optional<SessionUser> user;
};

class SessionStore {
 public:
  explicit SessionStore(SessionLimits limits = {}) : limits_(limits) {}

  // [thread-safe] Returns the new session; nullopt when the random
  // generator fails.
  std::optional<SessionView> create(const std::string& admin_token);
  std::optional<SessionView> create(const SessionUser& user);
  std::optional<SessionView> find(const std::string& id);
  void remove(const std::string& id);

  // One-shot message shown on the next page (POST-redirect-GET).
  void set_flash(const std::string& id, const std::string& message);
  std::string take_flash(const std::string& id);

  std::size_t size() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::string csrf;
    store::crypto::SecretString token;
    Clock::time_point created;
    Clock::time_point last_seen;
    std::string flash;
    std::optional<SessionUser> user = {};
  };
  void evict_locked(Clock::time_point now);

  SessionLimits limits_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> sessions_;
};

// 32 random bytes as 64 hex characters; empty when the generator fails.
std::string random_hex_id();
// Constant-time equality for secrets of possibly different lengths.
bool constant_time_equal(const std::string& a, const std::string& b);

}  // namespace vitrine::server
