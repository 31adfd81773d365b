// SHA-256 as 64 lowercase hex digits: the one digest the store (token and
// account hashes, cache keys, the audit chain, backups), the egress
// single-flight (request keys) and plugin bundles (index entries, approved
// libraries) name things by. One implementation, so a digest written by one
// module is the digest another compares it with.
#pragma once

#include <string>
#include <string_view>

namespace vitrine::digest {

// Empty only when OpenSSL cannot hash (no SHA-256 provider loaded).
// [thread-safe]
std::string sha256_hex(std::string_view data);

}  // namespace vitrine::digest
