#include "server/auth_cache.h"

#include <mutex>

#include "store/crypto/encoding.h"

namespace vitrine::server {
namespace {

// A bound on entries: unknown tokens are answered too, so a client trying
// many of them must not grow the map without limit.
constexpr std::size_t kMaxEntries = 4096;

}  // namespace

store::Authorization AuthCache::authorize(store::AdminTokens tokens, std::string_view token,
                                          store::Action action, const std::string& space) {
  if (max_age_.count() == 0) return tokens.authorize(token, action, space);
  const auto now = std::chrono::steady_clock::now();
  // Read before computing: a write that lands meanwhile makes this answer
  // older than the store, and the next lookup recomputes it.
  const uint64_t generation = generation_();
  std::string key = store::crypto::sha256_hex(token);
  // No digest, no cache: an empty key would be shared by every token.
  if (key.empty()) return tokens.authorize(token, action, space);
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
  store::Authorization answer = tokens.authorize(token, action, space);
  std::unique_lock lock(mu_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[std::move(key)] = Entry{answer, now, generation};
  return answer;
}

}  // namespace vitrine::server
