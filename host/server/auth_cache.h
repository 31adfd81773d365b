// Authorization answers kept briefly, so a page view does not pay a database
// lookup (twice: the route's check and the settings link) per request.
//
// Coherence, the part a reviewer should check: an answer is used only
// while (1) it is younger than max_age and (2) the store has seen no
// audited write from this process since it was computed. So a token
// revoked, a space deleted or a role created through this server applies
// to the very next request; the same change made by the CLI in another
// process applies within max_age (one second). Keys are SHA-256 of the
// token (or of a session's token id or user's audit name, and the roles),
// never the token.
//
// While the database cannot answer (Verdict::unavailable), an earlier
// "allow" for a read-only action (viewing a page, a space, the cache) is
// reused for up to stale_grace, so pages keep rendering from memory during
// a database outage. Nothing can be revoked while the database is down (a
// revocation is a database write), so the only answer this can outlive is
// an expiry falling inside the grace. Writes and unknown credentials get
// the unavailable answer (503). Unavailable answers are never stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/admin_tokens.h"

namespace vitrine::server {

class AuthCache {
 public:
  using Generation = std::function<uint64_t()>;
  // max_age 0 turns caching off.
  AuthCache(Generation generation, std::chrono::milliseconds max_age,
            std::chrono::milliseconds stale_grace = std::chrono::minutes(10))
      : generation_(std::move(generation)), max_age_(max_age), stale_grace_(stale_grace) {}

  // tokens.authorize(token, action, space), or a recent answer to it.
  // [thread-safe]
  store::Authorization authorize(store::AdminTokens tokens, std::string_view token,
                                 store::Action action, const std::string& space);
  // tokens.decide(principal, ...) for a user signed in through OpenID
  // Connect, or a recent answer to it (keyed by the user and their roles).
  // [thread-safe]
  store::Authorization decide(store::AdminTokens tokens, const store::Principal& principal,
                              store::Action action, const std::string& space);
  // For a session the database could not read (SessionView::remembered):
  // a current answer for this principal, else an earlier "allow" of a
  // read-only action within stale_grace, else Verdict::unavailable with
  // `cause`. Never computes a new answer. [thread-safe]
  store::Authorization remembered(const store::Principal& principal, store::Action action,
                                  const std::string& space, const std::string& cause);

 private:
  struct Entry {
    store::Authorization answer;
    std::chrono::steady_clock::time_point at;
    uint64_t generation = 0;
  };
  store::Authorization cached(std::string key, store::Action action, const std::string& space,
                              const std::function<store::Authorization()>& compute);

  Generation generation_;
  std::chrono::milliseconds max_age_;
  std::chrono::milliseconds stale_grace_;
  std::shared_mutex mu_;  // shared for lookups, exclusive to store
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace vitrine::server
