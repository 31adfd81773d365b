#include "token.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <array>
#include <cstdint>
#include <stdexcept>

namespace vitrine::sim {
namespace {

constexpr std::string_view kPrefix = "glsa_";
constexpr std::size_t kSecretLen = 32;
constexpr std::string_view kAlphabet =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

std::array<unsigned char, 32> sha256(std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed while deriving a token");
  }
  return out;
}

}  // namespace

std::string token_checksum(std::string_view prefixed_secret) {
  const auto crc =
      static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(prefixed_secret.data()),
                                       static_cast<uInt>(prefixed_secret.size())));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 4; ++i) {
    const auto byte = static_cast<unsigned>((crc >> (8 * i)) & 0xffU);
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xfU]);
  }
  return out;
}

std::string token_from_seed(std::string_view seed) {
  // Why SHA-256: the secret must look random (no visible seed) yet be stable.
  const auto digest = sha256(std::string("vitrine-sim-token:") + std::string(seed));
  std::string secret;
  for (std::size_t i = 0; i < kSecretLen; ++i) {
    secret.push_back(kAlphabet[digest[i] % kAlphabet.size()]);
  }
  const std::string key = std::string(kPrefix) + secret;
  return key + "_" + token_checksum(key);
}

bool token_has_valid_shape(std::string_view token) {
  const std::size_t expected = kPrefix.size() + kSecretLen + 1 + 8;
  if (token.size() != expected || token.substr(0, kPrefix.size()) != kPrefix) return false;
  const auto secret = token.substr(kPrefix.size(), kSecretLen);
  for (char c : secret) {
    if (!is_alnum(c)) return false;
  }
  if (token[kPrefix.size() + kSecretLen] != '_') return false;
  const auto checksum = token.substr(kPrefix.size() + kSecretLen + 1);
  for (char c : checksum) {
    if (!is_lower_hex(c)) return false;
  }
  return token_checksum(token.substr(0, kPrefix.size() + kSecretLen)) == checksum;
}

}  // namespace vitrine::sim
