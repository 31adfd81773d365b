#include "store/glsa.h"

#include <cstdio>

#include "store/crypto/encoding.h"

namespace vitrine::store {
namespace {

constexpr std::string_view kPrefix = "glsa_";
constexpr std::size_t kSecretLen = 32;
constexpr std::size_t kChecksumLen = 8;
constexpr std::size_t kTotal = kPrefix.size() + kSecretLen + 1 + kChecksumLen;

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

Error bad(std::string what) {
  return make_error(Errc::invalid,
                    "the token is not a Grafana service account token: " + what +
                        ". Copy the whole token from Grafana (Administration > Service "
                        "accounts > Add token); it looks like glsa_ + 32 letters/digits + _ + 8 "
                        "hex digits");
}

}  // namespace

Status check_glsa_token(std::string_view t) {
  if (t.substr(0, kPrefix.size()) != kPrefix) return bad("it does not start with 'glsa_'");
  if (t.size() != kTotal) {
    return bad("it is " + std::to_string(t.size()) + " characters long, expected " +
               std::to_string(kTotal));
  }
  std::string_view secret = t.substr(kPrefix.size(), kSecretLen);
  for (char c : secret) {
    if (!alnum(c)) return bad("characters 6-37 must be letters or digits");
  }
  if (t[kPrefix.size() + kSecretLen] != '_') return bad("character 38 must be '_'");
  std::string_view checksum = t.substr(kPrefix.size() + kSecretLen + 1);
  for (char c : checksum) {
    if (!lower_hex(c)) return bad("the last 8 characters must be lowercase hex digits");
  }
  if (checksum != glsa_checksum(t.substr(0, kPrefix.size() + kSecretLen))) {
    return bad("its checksum does not match (a character was mistyped or lost)");
  }
  return ok_status();
}

std::string glsa_checksum(std::string_view head) {
  // Grafana's satokengen writes the CRC-32 (IEEE) of "glsa_<secret>" as its
  // four bytes in little-endian order, hex-encoded: not as "%08x".
  const uint32_t crc = crypto::crc32_ieee(head);
  char out[9];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x", crc & 0xffu, (crc >> 8) & 0xffu,
                (crc >> 16) & 0xffu, (crc >> 24) & 0xffu);
  return std::string(out, 8);
}

}  // namespace vitrine::store
