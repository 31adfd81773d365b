#include "server/oidc/transactions.h"

#include "server/oidc/pkce.h"

namespace vitrine::server::oidc {

std::string safe_return_to(const std::string& next) {
  if (next.empty() || next.size() > 512 || next[0] != '/') return "/";
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "/";
  for (char c : next) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || c == '\\') return "/";
  }
  return next;
}

std::optional<LoginTransaction> LoginTransactions::create(const std::string& return_to) {
  LoginTransaction t{random_urlsafe(), random_urlsafe(), random_urlsafe(), random_urlsafe(),
                     safe_return_to(return_to)};
  if (t.id.empty() || t.state.empty() || t.nonce.empty() || t.verifier.empty()) {
    return std::nullopt;
  }
  const auto now = Clock::now();
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now - it->second.created > ttl_ ? entries_.erase(it) : std::next(it);
  }
  while (entries_.size() >= max_ && !entries_.empty()) {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.created < oldest->second.created) oldest = it;
    }
    entries_.erase(oldest);
  }
  entries_[t.id] = Entry{t, now};
  return t;
}

std::optional<LoginTransaction> LoginTransactions::take(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  Entry e = std::move(it->second);
  entries_.erase(it);
  if (Clock::now() - e.created > ttl_) return std::nullopt;
  return e.t;
}

std::size_t LoginTransactions::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace vitrine::server::oidc
