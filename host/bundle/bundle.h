// Signed plugin bundles (docs/security/bundles.md). A bundle carries one
// plugin, its manifest and its library, with an index of their SHA-256
// digests signed by the publisher's Ed25519 key.
//
//   pack()            plugin directory -> bundle bytes (what authors run)
//   verify()          bundle bytes -> the plugin's files, or a refusal
//   read_directory()  an unsigned plugin directory -> the same shape
//
// verify() and read_directory() are pure: they write nothing, so the caller
// installs only what they returned and a refused bundle leaves no trace.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "bundle/keys.h"
#include "bundle/refusal.h"
#include "manifest/manifest.h"

namespace vitrine::bundle {

struct Verified {
  std::string plugin_id;
  std::string version;
  std::string library_name;  // the file name the manifest gives, e.g. hello.so
  std::string manifest_bytes;
  std::string library_bytes;
  std::string manifest_sha256;  // lowercase hex
  std::string library_sha256;   // lowercase hex
  std::string key_id;           // the signing key's id (keys.h); empty when unsigned
  std::string signer;           // the trusted key's name; empty when unsigned
  manifest::Manifest manifest;  // parsed and checked; path is empty for a bundle

  bool is_signed() const { return !key_id.empty(); }
};

struct VerifyResult {
  std::optional<Verified> verified;
  Refusal refusal;  // set when verified is empty
  bool ok() const { return verified.has_value(); }
};

// Trusted publisher keys: name -> 32 raw Ed25519 public-key bytes. A bundle
// names its key by key_id(public key), so the names are the admin's own.
using TrustedKeys = std::map<std::string, std::string>;

// Verifies a bundle: framing, signing key trusted, signature, index schema,
// entry names and types, duplicates, sizes, digests, the manifest, and that
// manifest, index and library agree. An unsigned bundle is refused
// (bundle-unsigned) unless allow_unsigned.
VerifyResult verify(std::string_view bytes, const TrustedKeys& trusted, bool allow_unsigned);

// Reads an unsigned plugin directory (or manifest file) into the same
// shape, signer empty. Refused with bundle-unsigned unless allow_unsigned.
VerifyResult read_directory(const std::filesystem::path& source, bool allow_unsigned);

// Reads a bundle file into memory, refusing one over the size limit
// (bundle-too-large) or unreadable (bundle-unreadable).
std::optional<Refusal> read_bundle_file(const std::filesystem::path& file, std::string& out);

struct PackResult {
  std::string bytes;      // the bundle
  std::string file_name;  // ID-VERSION.vitrine-plugin
  Verified contents;      // what the bundle holds, as verify() reads it back
  Refusal refusal;        // set when !ok
  bool ok = false;
};

// Packs the plugin at `source` (a directory or its manifest file). With a
// key the bundle is signed; with null it is unsigned. The result is read
// back with verify() before it is returned, so a bundle pack() returns is
// one a host trusting the key accepts.
PackResult pack(const std::filesystem::path& source, const SigningKey* key);

}  // namespace vitrine::bundle
