// The provider's signing keys (JWKS), cached. An ID token whose `kid` is
// not in the cached set makes the cache fetch the set again (the provider
// rotated its keys), at most once per `min_refetch` however many tokens
// name unknown kids, so forged kids cannot make us hammer the provider.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "store/result.h"

namespace vitrine::server::oidc {

class KeySource {
 public:
  virtual ~KeySource() = default;
  // The JWK (JSON object text) with this kid; an empty kid matches when the
  // set holds exactly one key. nullopt when not found.
  virtual std::optional<std::string> key(const std::string& kid) = 0;
};

class JwksCache final : public KeySource {
 public:
  using Fetch = std::function<store::Result<std::string>()>;  // the JWKS document
  explicit JwksCache(Fetch fetch, std::chrono::seconds min_refetch = std::chrono::seconds(10))
      : fetch_(std::move(fetch)), min_refetch_(min_refetch) {}

  std::optional<std::string> key(const std::string& kid) override;  // [thread-safe]
  int fetches() const;                                              // for tests and metrics

 private:
  std::optional<std::string> find_locked(const std::string& kid) const;
  bool refetch_locked();

  Fetch fetch_;
  std::chrono::seconds min_refetch_;
  mutable std::mutex mu_;
  std::string jwks_;
  bool loaded_ = false;
  std::optional<std::chrono::steady_clock::time_point> last_refetch_;
  int fetches_ = 0;
};

// The JWK with this kid in a JWKS document (same rule as KeySource::key).
std::optional<std::string> find_jwk(const std::string& jwks_json, const std::string& kid);

}  // namespace vitrine::server::oidc
