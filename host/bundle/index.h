// The bundle index: the one signed part of a bundle. It names the plugin,
// its version and signing key, and lists every entry with its size and
// SHA-256, so signing the index signs every byte of every file (as
// Grafana's MANIFEST.txt does). One line of JSON, keys in a fixed order:
//
//   {"format":"vitrine-plugin/1","plugin":"hello","version":"1.0.0",
//    "key_id":"ed25519-...","entries":[{"name":"hello.yml","type":"file",
//    "size":412,"sha256":"..."},{"name":"hello.so",...}]}
//
// "key_id" is "" in an unsigned bundle.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bundle/refusal.h"

namespace vitrine::bundle {

struct Entry {
  std::string name;
  std::string type = "file";  // only "file" is accepted; "symlink" etc. are refused
  uint64_t size = 0;
  std::string sha256;  // 64 lowercase hex digits
};

struct Index {
  std::string plugin;
  std::string version;
  std::string key_id;
  std::vector<Entry> entries;
};

std::string to_json(const Index& index);

// Parses the closed schema above (unknown or missing keys, wrong types and
// malformed digests are bundle-format). Entry names, types and sizes are
// only read here; the verifier judges them.
bool parse_index(std::string_view text, Index& out, Refusal& refusal);

}  // namespace vitrine::bundle
