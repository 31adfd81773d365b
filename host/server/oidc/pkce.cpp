#include "server/oidc/pkce.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <vector>

#include "store/crypto/encoding.h"

namespace vitrine::server::oidc {

std::string random_urlsafe(std::size_t bytes) {
  std::vector<uint8_t> buf(bytes);
  if (bytes == 0 || RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) return {};
  std::string out = store::crypto::base64url_encode({buf.data(), buf.size()});
  OPENSSL_cleanse(buf.data(), buf.size());
  return out;
}

std::string s256_challenge(const std::string& verifier) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  return store::crypto::base64url_encode({digest, sizeof digest});
}

}  // namespace vitrine::server::oidc
