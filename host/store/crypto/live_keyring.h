// The keyring a running process uses, replaceable while it serves (P5 under
// change).
//
// `vitrine keys rotate` appends a key to the keyring file and then re-wraps
// every record with it while a server keeps serving. The server must decrypt
// every record at every moment of that, so:
//   * the keyring file is always written before any record names a new key
//     (cmd_keys.cpp), and
//   * a record naming a key id this process does not hold makes it re-read
//     the file once (for_record) before it gives up, and
//   * the reconciler re-reads the file when the store's keyring generation
//     moves, so new records are sealed with the newest key within a second.
// Readers hold a shared_ptr to one immutable Keyring for the duration of
// one seal or open; a swap never changes a keyring under a reader.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "store/crypto/keyring.h"
#include "store/result.h"

namespace vitrine::store::crypto {

class LiveKeyring {
 public:
  // `file` empty: the keyring came from the environment and cannot be
  // re-read (reload() then answers "unchanged").
  LiveKeyring(std::optional<Keyring> initial, std::optional<std::filesystem::path> file);

  // [thread-safe] The current keyring; null when none was loaded.
  std::shared_ptr<const Keyring> current() const;
  // [thread-safe] The current keyring when it holds `key_id`; otherwise the
  // file is re-read (at most once per call; concurrent callers share one
  // read) and the new keyring returned when it holds the id. Null when no
  // keyring holds it.
  std::shared_ptr<const Keyring> for_key(std::string_view key_id);
  // [thread-safe] Re-reads the file. Answers true when the key ids changed
  // (the new keyring is then current), false when unchanged. A file that no
  // longer loads is refused and the current keyring kept. A key id may leave
  // the file only through 'vitrine keys retire', which first proves that no
  // record names it.
  Result<bool> reload();
  // How many times the keyring was replaced in this process.
  uint64_t swaps() const;
  const std::optional<std::filesystem::path>& file() const { return file_; }

 private:
  const std::optional<std::filesystem::path> file_;
  mutable std::mutex mu_;  // guards current_ and swaps_
  std::mutex reload_mu_;   // one file read at a time
  std::shared_ptr<const Keyring> current_;
  uint64_t swaps_ = 0;
};

}  // namespace vitrine::store::crypto
