// Service-account token checks, shaped like Grafana's answers.
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace vitrine::sim {

class TokenStore {
 public:
  // Throws std::invalid_argument when `token` lacks the glsa_ shape, so a
  // typo in a test setup fails loudly instead of producing endless 401s.
  void add(const std::string& token);
  bool revoke(const std::string& token);
  bool contains(const std::string& token) const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::set<std::string> tokens_;
};

enum class AuthOutcome {
  kAuthenticated,
  kMissing,  // no Authorization header (or not a Bearer one)
  kInvalid,  // a Bearer token that is malformed, has a bad checksum, or is unknown
};

AuthOutcome authenticate(const TokenStore& store, const std::optional<std::string>& header);

}  // namespace vitrine::sim
