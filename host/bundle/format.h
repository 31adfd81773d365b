// The vitrine-plugin/1 wire format (docs/security/bundles.md):
//
//   vitrine-plugin/1\n
//   key: <key id>\n          or "key: none\n" for an unsigned bundle
//   index: <N>\n             N = byte length of the index, decimal
//   <N bytes>                the index (JSON, see index.h)
//   <64 bytes>               Ed25519 signature over signing_message(index);
//                            absent when the key line says none
//   <entry bytes>            each entry's bytes, in index order, nothing after
//
// The header is text so a person can `head -3` a bundle; the signature is
// raw bytes so every flipped bit in it is a signature failure, never a
// parse error. This file only frames the parts: it checks no signature and
// no digest.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "bundle/refusal.h"

namespace vitrine::bundle {

inline constexpr std::string_view kMagic = "vitrine-plugin/1";
inline constexpr std::string_view kFileSuffix = ".vitrine-plugin";
inline constexpr size_t kSignatureBytes = 64;

// Limits. The library limit is far above any bundled plugin (under 2 MiB)
// while keeping a whole bundle safe to hold in memory.
inline constexpr size_t kMaxIndexBytes = 64 * 1024;
inline constexpr size_t kMaxManifestBytes = 64 * 1024;
inline constexpr size_t kMaxLibraryBytes = 64 * 1024 * 1024;
inline constexpr size_t kMaxHeaderBytes = 256;
inline constexpr size_t kMaxBundleBytes =
    kMaxHeaderBytes + kMaxIndexBytes + kSignatureBytes + kMaxManifestBytes + kMaxLibraryBytes;

struct Frame {
  std::string key_id;          // empty: unsigned ("key: none")
  std::string_view index;      // the exact signed bytes
  std::string_view signature;  // kSignatureBytes, or empty when unsigned
  std::string_view payload;    // everything after the signature: the entries
};

// The bytes Ed25519 signs: a domain label, a NUL, then the index. The label
// keeps a bundle signature from ever verifying as a license (whose label
// differs) or the other way round, even with the same key.
std::string signing_message(std::string_view index);

// Splits `bytes` into its parts. On failure fills `refusal` with
// bundle-format, bundle-truncated or bundle-too-large and returns false.
bool decode(std::string_view bytes, Frame& out, Refusal& refusal);

// The inverse of decode. `signature` must be empty exactly when `key_id` is.
std::string encode(std::string_view key_id, std::string_view index, std::string_view signature,
                   const std::vector<std::string_view>& entries);

// A key id is "ed25519-" and 32 lowercase hex digits (see keys.h).
bool valid_key_id(std::string_view key_id);

}  // namespace vitrine::bundle
