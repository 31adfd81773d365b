// The keyring: the AES-256 keys that protect records at rest (P5).
//
// The newest key (the last one) encrypts; every key decrypts records that
// name its id. `vitrine keys rotate` appends a key and re-wraps every record.
//
// Sources, in the order the CLI tries them:
//   1. a keyring file (--key-file FILE): must be a regular file (not a
//      symlink), mode 0600 or stricter, owned by the current user. Text,
//      one key per line, newest last:
//          # comment
//          k1 <base64 of 32 bytes>
//          k2 <base64 of 32 bytes>
//   2. the environment variable VITRINE_MASTER_KEY: either one bare base64
//      key (its id is "k1") or the file format with entries separated by
//      newlines or ';'.
// Any problem (missing, symlink, looser mode, other owner, wrong length,
// bad base64, bad or duplicate id) refuses with a message that names the
// file and the rule but never contains key bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/crypto/secure_bytes.h"
#include "store/result.h"

namespace vitrine::store::crypto {

inline constexpr std::size_t kKeyBytes = 32;
inline constexpr const char* kMasterKeyEnv = "VITRINE_MASTER_KEY";

struct Key {
  std::string id;     // [a-z0-9-]{1,32}
  SecretBytes bytes;  // exactly kKeyBytes
};

bool valid_key_id(std::string_view id);

class Keyring {
 public:
  Keyring() = default;

  bool empty() const { return keys_.empty(); }
  std::size_t size() const { return keys_.size(); }
  const Key& newest() const { return keys_.back(); }
  const Key* find(std::string_view id) const;
  std::vector<std::string> ids() const;

  // Adds a key as the newest. Refuses a duplicate id or a wrong length.
  Status add(Key key);
  // Removes a key that is not the newest (the newest seals new records).
  Status remove(std::string_view id);
  // Generates a fresh random key with the next free id ("k<N+1>").
  Status add_generated();

  // Parses the text format (see above). `source` names the origin of the
  // text in error messages (a path or the variable name).
  static Result<Keyring> parse(std::string_view text, std::string_view source);
  // Reads a keyring file, enforcing the file rules.
  static Result<Keyring> load_file(const std::filesystem::path& path);
  // Reads VITRINE_MASTER_KEY. not_found when unset.
  static Result<Keyring> load_env();
  // --key-file when given, else VITRINE_MASTER_KEY, else a key error that
  // says how to create one.
  static Result<Keyring> load(const std::optional<std::filesystem::path>& key_file);

  // Creates a new keyring file (mode 0600, O_EXCL|O_NOFOLLOW): refuses to
  // overwrite an existing file.
  Status create_file(const std::filesystem::path& path) const;
  // Atomically replaces an existing keyring file (temp file 0600 in the same
  // directory, fsync, rename). The existing file must pass the file rules.
  Status replace_file(const std::filesystem::path& path) const;

 private:
  std::string serialize() const;
  std::vector<Key> keys_;
};

}  // namespace vitrine::store::crypto
