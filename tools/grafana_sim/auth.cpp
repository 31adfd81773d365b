#include "auth.h"

#include <Poco/String.h>

#include <stdexcept>

#include "token.h"

namespace vitrine::sim {

void TokenStore::add(const std::string& token) {
  if (!token_has_valid_shape(token)) {
    throw std::invalid_argument(
        "token does not have the service-account shape glsa_<32 alphanumerics>_<8 hex checksum>; "
        "use --print-token SEED to make one");
  }
  std::lock_guard lock(mutex_);
  tokens_.insert(token);
}

bool TokenStore::revoke(const std::string& token) {
  std::lock_guard lock(mutex_);
  return tokens_.erase(token) > 0;
}

bool TokenStore::contains(const std::string& token) const {
  std::lock_guard lock(mutex_);
  return tokens_.count(token) > 0;
}

std::size_t TokenStore::size() const {
  std::lock_guard lock(mutex_);
  return tokens_.size();
}

AuthOutcome authenticate(const TokenStore& store, const std::optional<std::string>& header) {
  if (!header) return AuthOutcome::kMissing;
  const std::string value = Poco::trim(*header);
  const auto space = value.find(' ');
  if (space == std::string::npos) return AuthOutcome::kInvalid;
  if (Poco::icompare(value.substr(0, space), "Bearer") != 0) return AuthOutcome::kMissing;
  const std::string token = Poco::trim(value.substr(space + 1));
  // Shape first, like Grafana's satokengen.Decode, then the key lookup.
  if (!token_has_valid_shape(token) || !store.contains(token)) return AuthOutcome::kInvalid;
  return AuthOutcome::kAuthenticated;
}

}  // namespace vitrine::sim
