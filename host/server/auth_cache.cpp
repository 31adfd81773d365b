#include "server/auth_cache.h"

#include <mutex>

#include "digest/sha256.h"
#include "store/crypto/encoding.h"

namespace vitrine::server {
namespace {

// A bound on entries: unknown tokens are answered too, so a client trying
// many of them must not grow the map without limit.
constexpr std::size_t kMaxEntries = 4096;

// Actions that only read: the ones a stale "allow" may still answer while
// the database is unavailable.
bool read_only(store::Action action) {
  using store::Action;
  switch (action) {
    case Action::space_list:
    case Action::space_show:
    case Action::token_status:
    case Action::cache_read:
    case Action::asset_read:
    case Action::audit_read:
      return true;
    default:
      return false;
  }
}

}  // namespace

store::Authorization AuthCache::authorize(store::AdminTokens tokens, std::string_view token,
                                          store::Action action, const std::string& space) {
  auto compute = [&] { return tokens.authorize(token, action, space); };
  if (max_age_.count() == 0) return compute();
  // No digest, no cache: an empty key would be shared by every token.
  const std::string digest = digest::sha256_hex(token);
  if (digest.empty()) return compute();
  return cached("token\n" + digest, action, space, compute);
}

namespace {

// The answer depends on the roles as well as on who holds them: a user's
// audit name, or a token session's token id (the answer carries the
// principal, whose token id names the caller in the audit log).
std::string principal_digest(const store::Principal& principal) {
  std::string who = principal.user + "\n" + principal.token_id;
  for (const auto& role : principal.roles) who += "\n" + store::to_string(role);
  return digest::sha256_hex(who);
}

}  // namespace

store::Authorization AuthCache::decide(store::AdminTokens tokens, const store::Principal& principal,
                                       store::Action action, const std::string& space) {
  auto compute = [&] { return tokens.decide(principal, action, space); };
  if (max_age_.count() == 0) return compute();
  const std::string digest = principal_digest(principal);
  if (digest.empty()) return compute();
  return cached("user\n" + digest, action, space, compute);
}

store::Authorization AuthCache::remembered(const store::Principal& principal, store::Action action,
                                           const std::string& space, const std::string& cause) {
  auto unavailable = [&] {
    store::Authorization a;
    a.verdict = store::Verdict::unavailable;
    a.message = cause;
    return a;
  };
  if (max_age_.count() == 0) return unavailable();
  const std::string digest = principal_digest(principal);
  if (digest.empty()) return unavailable();
  return cached("user\n" + digest, action, space, unavailable);
}

store::Authorization AuthCache::cached(std::string key, store::Action action,
                                       const std::string& space,
                                       const std::function<store::Authorization()>& compute) {
  const auto now = std::chrono::steady_clock::now();
  // Read before computing: a write that lands meanwhile makes this answer
  // older than the store, and the next lookup recomputes it.
  const uint64_t generation = generation_();
  key += '\n';
  key += std::to_string(static_cast<int>(action));
  key += '\n';
  key += space;
  {
    std::shared_lock lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.generation == generation &&
        now - it->second.at < max_age_) {
      return it->second.answer;
    }
  }
  store::Authorization answer = compute();
  if (answer.verdict == store::Verdict::unavailable) {
    if (!read_only(action)) return answer;
    std::shared_lock lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.answer.verdict == store::Verdict::allow &&
        now - it->second.at < stale_grace_) {
      return it->second.answer;
    }
    return answer;
  }
  std::unique_lock lock(mu_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[std::move(key)] = Entry{answer, now, generation};
  return answer;
}

}  // namespace vitrine::server
