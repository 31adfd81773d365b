// ID-token validation (OpenID Connect Core 3.1.3.7) as a table of named
// checks, run in order; the first that fails names the rule that denied:
//
//   oidc-format     three base64url parts, a JSON header and payload
//   oidc-alg        the header's alg is in auth.oidc.algorithms; none and
//                   HS* are refused by name whatever the config says
//   oidc-kid        the provider's key set holds the header's kid (fetched
//                   again once when unknown: key rotation), of the alg's type
//   oidc-signature  the signature verifies with that key (cjose over OpenSSL)
//   oidc-iss        iss equals the configured issuer exactly
//   oidc-aud        aud is, or contains, our client_id; with several
//                   audiences azp must be our client_id
//   oidc-exp        exp is in the future (with leeway_s)
//   oidc-iat        iat is present and not in the future (with leeway_s)
//   oidc-nonce      nonce equals the login transaction's nonce
//   oidc-sub        sub is present, 1..255 characters
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/oidc/jwks.h"

namespace vitrine::server::oidc {

struct IdTokenExpect {
  std::string issuer;
  std::string client_id;
  std::string nonce;
  std::vector<std::string> algorithms{"RS256", "ES256", "PS256"};
  int64_t now_s = 0;
  int leeway_s = 60;
  std::string groups_claim = "groups";
};

struct IdClaims {
  std::string iss, sub, name, email, preferred_username;
  std::vector<std::string> groups;  // from IdTokenExpect::groups_claim (list or one string)
  int64_t exp = 0;
};

struct IdTokenVerdict {
  bool ok = false;
  std::string rule;     // the check that denied (empty when ok)
  std::string message;  // what was wrong, never the token
  IdClaims claims;      // valid when ok
};

IdTokenVerdict validate_id_token(const std::string& compact, const IdTokenExpect& expect,
                                 KeySource& keys);

// The rules in the order they run (docs and tests iterate them).
const std::vector<std::string>& id_token_rules();

}  // namespace vitrine::server::oidc
