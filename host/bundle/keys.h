// Publisher signing keys. The files follow the development license key's
// convention (host/license/license_files.cpp): the private file holds
// "base64(private) base64(public)" on one line and is created 0600 with
// O_EXCL, so keygen never overwrites a key; the public file holds
// base64(public) on one line, the form `vitrine plugins trust add` takes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace vitrine::bundle {

struct SigningKey {
  std::string private_key;  // 32 raw Ed25519 bytes
  std::string public_key;   // 32 raw Ed25519 bytes
  SigningKey() = default;
  SigningKey(const SigningKey&) = default;
  SigningKey& operator=(const SigningKey&) = default;
  ~SigningKey();  // wipes the private key
};

// "ed25519-" and the first 32 hex digits of SHA-256(public key). A bundle
// names its signer by this id, so a host finds the key whatever name the
// admin gave it when trusting it.
std::string key_id(std::string_view public_key);

// Generates a key pair and writes PREFIX.key and PREFIX.pub. Returns an
// error text (nothing is left behind), or empty on success.
std::string write_key_files(const std::string& prefix, std::string& key_id_out);

// Reads a PREFIX.key file. Refuses a file others can read. Returns an error
// text, or empty on success.
std::string read_signing_key(const std::filesystem::path& file, SigningKey& out);

// Decodes a public key given as one line of base64 (a PREFIX.pub file's
// content, surrounding whitespace allowed). Returns an error text, or
// empty on success with `raw` holding 32 bytes.
std::string parse_public_key(std::string_view text, std::string& raw);

// base64 of `raw`, one line, no line breaks.
std::string base64(std::string_view raw);

}  // namespace vitrine::bundle
