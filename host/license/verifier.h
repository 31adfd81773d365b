// Verifies a license file: envelope, algorithm allowlist, key id, Ed25519
// signature over the domain-separated message, payload schema, product and
// validity window. Each refusal names its rule (docs/security/licensing.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "license/license.h"

namespace vitrine::license {

struct TrustedKey {
  std::string kid;
  std::string public_key;  // 32 raw Ed25519 bytes
  bool dev = false;        // a development key: trusted only in dev mode
};

// The vendor keys compiled into this build (rotation: a new kid is added
// beside the old one; the old one is removed once its licenses expired).
const std::vector<TrustedKey>& vendor_keys();

struct VerifyOptions {
  int64_t now = 0;  // unix seconds
  bool dev_mode = false;
  std::vector<TrustedKey> keys;  // usually vendor_keys() plus configured ones
  std::string product = "vitrine";
};

struct VerifyResult {
  bool ok = false;
  License license;
  std::string rule;    // e.g. "license-signature"
  std::string reason;  // what happened and what to do
};

VerifyResult verify_license(std::string_view file_text, const VerifyOptions& options);

// Ed25519 over OpenSSL. Keys and signatures are raw bytes.
bool ed25519_verify(std::string_view public_key, std::string_view message,
                    std::string_view signature);
// Returns the 64-byte signature, or empty on failure.
std::string ed25519_sign(std::string_view private_key, std::string_view message);
// Generates a keypair; returns false on failure.
bool ed25519_generate(std::string& private_key, std::string& public_key);

// Signs `payload_json` into a license file (used by dev mode and tests).
std::string sign_license(std::string_view private_key, std::string_view kid,
                         std::string_view payload_json);

// "2026-11-29T10:00:00Z" <-> unix seconds.
bool parse_rfc3339(std::string_view text, int64_t& out);
std::string format_rfc3339(int64_t unix_seconds);

}  // namespace vitrine::license
