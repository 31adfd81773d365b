#include "digest/sha256.h"

#include <openssl/evp.h>

namespace vitrine::digest {

std::string sha256_hex(std::string_view data) {
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up in its
  // provider tables (under a lock) on every call, which costs more than
  // hashing a token. The fetched object is immutable and thread-safe.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (kSha256 == nullptr || EVP_Digest(data.data(), data.size(), md, &len, kSha256, nullptr) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::size_t{len} * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

}  // namespace vitrine::digest
