// Browser sessions. The cookie carries only an opaque random id (256 bits);
// the admin token a user logged in with stays in this process's memory so
// every request is re-authorized against the store (a revoked token ends
// its sessions at once). Sessions expire after an idle and an absolute
// lifetime and are lost on restart by design.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "store/crypto/secure_bytes.h"

namespace vitrine::server {

struct SessionLimits {
  std::chrono::seconds idle{std::chrono::hours(8)};
  std::chrono::seconds absolute{std::chrono::hours(24)};
  std::size_t max_sessions = 10'000;  // the oldest is dropped beyond this
};

struct SessionView {
  std::string id;
  std::string csrf;   // the per-session token every form carries
  std::string token;  // the admin token (never leaves the server)
};

class SessionStore {
 public:
  explicit SessionStore(SessionLimits limits = {}) : limits_(limits) {}

  // [thread-safe] Returns the new session; nullopt when the random
  // generator fails.
  std::optional<SessionView> create(const std::string& admin_token);
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
