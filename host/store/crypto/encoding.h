// Small, strict encoders and hashes used by the store: base64 (RFC 4648,
// padded, no whitespace accepted), base64url without padding, lowercase hex,
// SHA-256, CRC-32 (IEEE, as Grafana uses for its token checksum) and the
// system CSPRNG.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "store/crypto/secure_bytes.h"

namespace vitrine::store::crypto {

std::string base64_encode(std::span<const uint8_t> bytes);
// Strict: standard alphabet, '=' padding required, nothing else. nullopt on
// any deviation. The result is a SecretBytes because decoded keys use it.
std::optional<SecretBytes> base64_decode(std::string_view text);
std::string base64url_encode(std::span<const uint8_t> bytes);  // no padding
std::string hex_encode(std::span<const uint8_t> bytes);        // lowercase

uint32_t crc32_ieee(std::string_view data);

// Fills `out` from OpenSSL's RAND_bytes. Returns false when the CSPRNG fails
// (callers must then refuse the operation).
bool random_bytes(std::span<uint8_t> out);

inline std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace vitrine::store::crypto
