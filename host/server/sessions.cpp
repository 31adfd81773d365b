#include "server/sessions.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace vitrine::server {

std::string random_hex_id() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  OPENSSL_cleanse(bytes, sizeof bytes);
  return out;
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void SessionStore::evict_locked(Clock::time_point now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const bool expired =
        now - it->second.last_seen > limits_.idle || now - it->second.created > limits_.absolute;
    it = expired ? sessions_.erase(it) : std::next(it);
  }
  while (sessions_.size() >= limits_.max_sessions && !sessions_.empty()) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.last_seen < oldest->second.last_seen) oldest = it;
    }
    sessions_.erase(oldest);
  }
}

std::optional<SessionView> SessionStore::create(const std::string& admin_token) {
  std::string id = random_hex_id();
  std::string csrf = random_hex_id();
  if (id.empty() || csrf.empty()) return std::nullopt;
  const auto now = Clock::now();
  std::lock_guard lock(mu_);
  evict_locked(now);
  sessions_[id] = Entry{csrf, store::crypto::SecretString(admin_token), now, now, {}};
  return SessionView{id, csrf, admin_token, std::nullopt};
}

std::optional<SessionView> SessionStore::create(const SessionUser& user) {
  std::string id = random_hex_id();
  std::string csrf = random_hex_id();
  if (id.empty() || csrf.empty()) return std::nullopt;
  const auto now = Clock::now();
  std::lock_guard lock(mu_);
  evict_locked(now);
  sessions_[id] = Entry{csrf, store::crypto::SecretString(std::string()), now, now, {}, user};
  return SessionView{id, csrf, {}, user};
}

std::optional<SessionView> SessionStore::find(const std::string& id) {
  if (id.size() != 64) return std::nullopt;
  const auto now = Clock::now();
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (now - it->second.last_seen > limits_.idle || now - it->second.created > limits_.absolute) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen = now;
  return SessionView{id, it->second.csrf, std::string(it->second.token.view()), it->second.user};
}

void SessionStore::remove(const std::string& id) {
  std::lock_guard lock(mu_);
  sessions_.erase(id);
}

void SessionStore::set_flash(const std::string& id, const std::string& message) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it != sessions_.end()) it->second.flash = message;
}

std::string SessionStore::take_flash(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return {};
  return std::exchange(it->second.flash, {});
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace vitrine::server
