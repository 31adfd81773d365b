// PKCE (RFC 7636), S256 only: the code verifier stays on the server in the
// login transaction; the authorization request carries its challenge.
#pragma once

#include <string>

namespace vitrine::server::oidc {

// 32 random bytes, base64url (43 characters); empty when the generator fails.
std::string random_urlsafe(std::size_t bytes = 32);
// BASE64URL(SHA-256(verifier)), no padding.
std::string s256_challenge(const std::string& verifier);

}  // namespace vitrine::server::oidc
