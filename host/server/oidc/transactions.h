// Login transactions: one per "Sign in with ..." click. The browser gets
// only a random id in a short-lived cookie (HttpOnly, SameSite=Lax so it
// comes back on the provider's top-level redirect); state, nonce, PKCE
// verifier and the return address stay here. take() removes the entry: a
// transaction is used once, so a replayed callback finds nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace vitrine::server::oidc {

struct LoginTransaction {
  std::string id;  // the cookie value
  std::string state;
  std::string nonce;
  std::string verifier;
  std::string return_to;  // a same-origin relative path (rule oidc-return-to)
};

class LoginTransactions {
 public:
  explicit LoginTransactions(std::chrono::seconds ttl = std::chrono::minutes(10),
                             std::size_t max = 10'000)
      : ttl_(ttl), max_(max) {}
  // [thread-safe] nullopt when the random generator fails.
  std::optional<LoginTransaction> create(const std::string& return_to);
  // [thread-safe] The transaction with this id, removed; nullopt when
  // unknown, used or expired.
  std::optional<LoginTransaction> take(const std::string& id);
  std::size_t size() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    LoginTransaction t;
    Clock::time_point created;
  };
  std::chrono::seconds ttl_;
  std::size_t max_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

// Rule oidc-return-to: a same-origin relative path ("/spaces/x?tab=y"),
// else "/". Refuses "//host", "/\host", schemes, controls and non-ASCII.
std::string safe_return_to(const std::string& next);

namespace rules {
constexpr const char* kReturnTo = "oidc-return-to";  // the return address is not a local path
}  // namespace rules

}  // namespace vitrine::server::oidc
