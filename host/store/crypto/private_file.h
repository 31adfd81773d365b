// Files that hold a secret (the keyring, the /metrics scrape token) and the
// rules each must pass before a byte of it is used. They are checked on the
// opened descriptor, so the file checked is the file read: not a symbolic
// link (a link can be redirected), a regular file, no access for group or
// others, owned by the user running vitrine, and no larger than max_bytes.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

#include "store/crypto/secure_bytes.h"
#include "store/result.h"

namespace vitrine::store::crypto {

struct PrivateFile {
  std::string_view noun;     // starts every message: "key file", "metrics token file"
  std::string_view setting;  // where its path is given: "--key-file", "server.metrics_token_file"
  std::string_view when_missing;  // what to do when it does not exist
  std::string_view when_exposed;  // added when group or others could read it
  std::size_t max_bytes = 0;
};

// The whole content, or an error (code Errc::key) that names the rule and
// what to do. Never puts file content into a message.
Result<SecretBytes> read_private_file(const std::filesystem::path& path, const PrivateFile& file);

}  // namespace vitrine::store::crypto
