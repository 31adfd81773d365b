// Authenticated encryption of one record at rest (P5).
//
// Record text:  v1:<key_id>:base64(nonce[12] | ciphertext | tag[16])
// Cipher:       AES-256-GCM, a fresh random 96-bit nonce per seal (RAND_bytes)
// AAD:          "vitrine.record.v1" followed by the fields
//                 key_id, kind, space, name, context
//               each as a 4-byte big-endian length and the bytes. Length
//               prefixes make the encoding injective: no two different
//               field tuples give the same AAD.
//
// What the AAD binds, per kind (docs/security/storage.md):
//   kind     space       name             context
//   secret   space key   record name      the Grafana origin the token is for
//   cache    space key   plugin id        sha256 hex of the cache key
//   asset    space key   asset id         content type
// So a ciphertext copied to another space, record, origin, plugin or key
// fails to decrypt, and so does a record whose key id label was changed.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "store/crypto/keyring.h"
#include "store/crypto/secure_bytes.h"
#include "store/result.h"

namespace vitrine::store::crypto {

inline constexpr std::size_t kNonceBytes = 12;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::string_view kRecordVersion = "v1";

struct Binding {
  std::string_view kind;  // "secret", "cache", "asset"
  std::string_view space;
  std::string_view name;
  std::string_view context;
};

std::string build_aad(std::string_view key_id, const Binding& binding);

// Encrypts with the keyring's newest key.
Result<std::string> seal(const Keyring& ring, const Binding& binding,
                         std::span<const uint8_t> plaintext);
inline Result<std::string> seal(const Keyring& ring, const Binding& binding,
                                std::string_view plaintext) {
  return seal(ring, binding,
              std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(plaintext.data()),
                                       plaintext.size()));
}

// Decrypts with the key the record names. Errc::crypto when the record is
// malformed or fails authentication, Errc::key when its key is not in the
// keyring. Messages never contain record or key bytes.
Result<SecretBytes> open(const Keyring& ring, const Binding& binding, std::string_view record);

// The key id a record names, or empty when the record is malformed.
std::string record_key_id(std::string_view record);

// The raw nonce of a record (for tests proving nonces never repeat).
std::string record_nonce(std::string_view record);

}  // namespace vitrine::store::crypto
