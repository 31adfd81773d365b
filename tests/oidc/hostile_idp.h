// A hostile OpenID provider on 127.0.0.1 for the negative tests: it serves
// discovery, a JWKS and a token endpoint, and its token endpoint answers
// with whatever ID token the test composed (each with exactly one flaw).
// Keys: "k1" (RSA, published), "e1" (EC P-256, published), "rogue" (RSA,
// never published: a wrong signature), and "k2" (RSA, published only after
// rotate()).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace vitrine::testing {

class HostileIdp {
 public:
  // With key_pem and cert_pem: HTTPS with that certificate; else plain http.
  explicit HostileIdp(const std::string& key_pem = {}, const std::string& cert_pem = {});
  ~HostileIdp();
  HostileIdp(const HostileIdp&) = delete;
  HostileIdp& operator=(const HostileIdp&) = delete;

  std::string issuer() const;  // http://127.0.0.1:PORT

  // The claims of a valid ID token for this provider (as JSON members
  // without braces, so a test can append or replace): iss, aud, sub, exp,
  // iat, nonce, name, groups.
  std::map<std::string, std::string> claims(const std::string& client_id,
                                            const std::string& nonce) const;
  // Compact JWS of these claims (values are raw JSON), header alg/kid.
  std::string sign(const std::map<std::string, std::string>& claims, const std::string& alg,
                   const std::string& key_id) const;
  // Signed with HMAC (HS256) under a shared secret: what a confused
  // relying party would accept.
  std::string sign_hs256(const std::map<std::string, std::string>& claims) const;
  // The unsigned form: alg none.
  static std::string unsigned_token(const std::map<std::string, std::string>& claims);

  // What the token endpoint answers next (the id_token).
  void answer_with(std::function<std::string()> make_id_token);
  void rotate();  // publishes k2 as well
  int jwks_requests() const { return jwks_requests_.load(); }
  int token_requests() const { return token_requests_.load(); }
  std::string last_code_verifier() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::atomic<int> jwks_requests_{0};
  std::atomic<int> token_requests_{0};
};

// b64url(JSON object of these raw members).
std::string json_object(const std::map<std::string, std::string>& members);

}  // namespace vitrine::testing
