#include "server/oidc/jwks.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

#include "log/log.h"

namespace vitrine::server::oidc {

std::optional<std::string> find_jwk(const std::string& jwks_json, const std::string& kid) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(jwks_json).extract<Poco::JSON::Object::Ptr>();
    auto keys = root ? root->getArray("keys") : nullptr;
    if (!keys) return std::nullopt;
    Poco::JSON::Object::Ptr match;
    int signing = 0;
    for (std::size_t i = 0; i < keys->size(); ++i) {
      auto k = keys->getObject(static_cast<unsigned>(i));
      if (!k) continue;
      // Encryption keys never verify a signature.
      if (k->has("use") && k->getValue<std::string>("use") != "sig") continue;
      ++signing;
      const std::string id = k->has("kid") ? k->getValue<std::string>("kid") : std::string();
      if (!kid.empty() && id == kid) match = k;
      if (kid.empty()) match = k;
    }
    if (!match || (kid.empty() && signing != 1)) return std::nullopt;
    std::ostringstream out;
    match->stringify(out);
    return out.str();
  } catch (const Poco::Exception&) {
    return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::string> JwksCache::find_locked(const std::string& kid) const {
  return loaded_ ? find_jwk(jwks_, kid) : std::nullopt;
}

bool JwksCache::refetch_locked() {
  const auto now = std::chrono::steady_clock::now();
  // The first load is free; refetches for unknown kids are spaced.
  if (loaded_) {
    if (last_refetch_ && now - *last_refetch_ < min_refetch_) return false;
    last_refetch_ = now;
  }
  ++fetches_;
  auto doc = fetch_();
  if (!doc) {
    log::warn("oidc.jwks_fetch_failed", {{"error", doc.error().message}});
    return false;
  }
  jwks_ = *doc;
  loaded_ = true;
  return true;
}

std::optional<std::string> JwksCache::key(const std::string& kid) {
  std::lock_guard lock(mu_);
  if (auto k = find_locked(kid)) return k;
  if (!refetch_locked()) return std::nullopt;
  return find_locked(kid);
}

int JwksCache::fetches() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

}  // namespace vitrine::server::oidc
