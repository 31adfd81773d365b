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

namespace {

constexpr std::size_t kMaxRemembered = 10'000;

SessionView view_of(const store::Session& s) {
  SessionView v;
  v.id = s.id;
  v.csrf = s.csrf;
  v.principal = s.principal;
  v.has_flash = s.has_flash;
  if (s.user) v.user = SessionUser{s.principal.user, s.display_name, s.roles, s.id_token};
  return v;
}

}  // namespace

void SessionStore::remember(const SessionView& view) {
  const std::string key = store::Sessions::hash_of(view.id);
  std::lock_guard lock(mu_);
  if (remembered_.size() >= kMaxRemembered && !remembered_.count(key)) remembered_.clear();
  remembered_[key] = Remembered{view, std::chrono::steady_clock::now()};
}

void SessionStore::forget(const std::string& id) {
  const std::string key = store::Sessions::hash_of(id);
  std::lock_guard lock(mu_);
  remembered_.erase(key);
}

store::Result<SessionView> SessionStore::create(const store::Principal& token) {
  auto s = db().create_for_token(token);
  if (!s) return s.error();
  SessionView v = view_of(*s);
  remember(v);
  return v;
}

store::Result<SessionView> SessionStore::create(const std::string& admin_token) {
  auto p = store::AdminTokens(context_()).authenticate(admin_token);
  if (!p) return p.error();
  return create(*p);
}

store::Result<SessionView> SessionStore::create(const SessionUser& user) {
  auto s = db().create_for_user(user.who, user.display_name, user.roles, user.id_token);
  if (!s) return s.error();
  SessionView v = view_of(*s);
  remember(v);
  return v;
}

SessionLookup SessionStore::lookup(const std::string& id) {
  SessionLookup out;
  auto s = db().find(id);
  if (s) {
    out.session = view_of(*s);
    remember(*out.session);
    return out;
  }
  out.message = s.error().message;
  if (s.error().code != store::Errc::io) {
    forget(id);
    return out;
  }
  // The database could not say. The session as this host last read it
  // stands in for a while; the caller reuses only earlier answers for it.
  const std::string key = store::Sessions::hash_of(id);
  std::lock_guard lock(mu_);
  auto it = remembered_.find(key);
  if (it != remembered_.end() &&
      std::chrono::steady_clock::now() - it->second.at < kSessionRememberFor) {
    out.session = it->second.view;
    out.session->remembered = true;
    return out;
  }
  out.unavailable = true;
  return out;
}

void SessionStore::remove(const std::string& id) {
  forget(id);
  (void)db().remove(id);
}

void SessionStore::set_flash(const std::string& id, const std::string& message) {
  (void)db().set_flash(id, message);
}

std::string SessionStore::take_flash(const SessionView& session) {
  // The row read for this request said whether a message waits: no second
  // statement on the views that have none.
  if (!session.has_flash) return std::string();
  auto m = db().take_flash(session.id);
  return m ? *m : std::string();
}

std::size_t SessionStore::size() const {
  auto n = db().count();
  return n ? *n : 0;
}

}  // namespace vitrine::server
