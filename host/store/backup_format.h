// The backup file format, version 1 (docs/admin.md "Backup and restore"):
//
//   vitrine-backup 1\n
//   manifest <N>\n
//   <N bytes: the manifest, one JSON object>\n
//   <every entry's bytes, one after another, in manifest order>
//   sha256 <64 lowercase hex>\n        SHA-256 of every byte before this line
//
// The manifest:
//   {"format":"vitrine-backup","version":1,"created_at":"2026-12-07T01:30:00Z",
//    "created_at_ms":N,"vitrine_version":"0.1.0","schema_version":N,
//    "database":{"pages":N,"audit_rows":N,"audit_last_id":N},
//    "entries":[{"path":"vitrine.db","size":N,"sha256":"<hex>"}, ...]}
//
// Entry paths are relative to the data directory, '/'-separated, made of
// components of [A-Za-z0-9._+@-] that are not "." or "..". Reading checks
// everything (header, version, manifest, every path, every size, every
// entry digest and the trailer) and answers a refusal whose message names
// the rule in brackets; nothing is trusted before it has been checked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/result.h"

namespace vitrine::store::backup {

inline constexpr const char* kFormatName = "vitrine-backup";
inline constexpr int kFormatVersion = 1;
inline constexpr const char* kDatabaseEntry = "vitrine.db";

struct Entry {
  std::string path;
  int64_t size = 0;
  std::string sha256;  // lowercase hex
};

struct DatabaseInfo {
  int64_t pages = 0;
  int64_t audit_rows = 0;
  int64_t audit_last_id = 0;
};

struct Manifest {
  int version = kFormatVersion;
  std::string created_at;  // UTC, RFC 3339
  int64_t created_at_ms = 0;
  std::string vitrine_version;
  int schema_version = 0;
  DatabaseInfo database;
  std::vector<Entry> entries;
};

// What a reader accepts. An entry over max_entry_bytes is refused before a
// byte of it is read, so a hostile file cannot make restore fill the disk.
struct Limits {
  int64_t max_entry_bytes = int64_t{64} << 30;  // 64 GiB
  int64_t max_manifest_bytes = int64_t{64} << 20;
  int64_t max_entries = 1000000;
};

// Rules a refusal names (in brackets, at the end of its message).
namespace rule {
inline constexpr const char* format = "backup-format";              // not a backup file
inline constexpr const char* version = "backup-version";            // unknown format version
inline constexpr const char* truncated = "backup-truncated";        // shorter than declared
inline constexpr const char* trailing = "backup-trailing-data";     // longer than declared
inline constexpr const char* manifest = "backup-manifest";          // manifest malformed
inline constexpr const char* path = "backup-path";                  // unsafe entry path
inline constexpr const char* duplicate = "backup-duplicate";        // path given twice
inline constexpr const char* entry_size = "backup-entry-size";      // entry over the limit
inline constexpr const char* no_database = "backup-no-database";    // no vitrine.db entry
inline constexpr const char* checksum = "backup-checksum";          // trailer does not match
inline constexpr const char* entry_digest = "backup-entry-digest";  // entry does not match
}  // namespace rule

// Errc::invalid with "<what> [<rule>]; <what to do>".
Error refusal(const char* rule_id, const std::string& what);

Status check_entry_path(std::string_view path);
std::string manifest_json(const Manifest& m);
// Parses and checks a manifest: fields and types, version equal to the
// header's, every path, no duplicates, sizes within limits, a database entry.
Result<Manifest> parse_manifest(std::string_view json, int header_version, const Limits& limits);

// Receives the entries' bytes while a backup file is read. Called only for
// files whose header and manifest passed; the bytes are not yet proven
// until read_backup_file returns ok.
class EntrySink {
 public:
  virtual ~EntrySink() = default;
  virtual Status begin(const Entry& entry) = 0;
  virtual Status write(std::string_view chunk) = 0;
  virtual Status end(const Entry& entry) = 0;
};

struct Verified {
  Manifest manifest;
  std::string sha256;  // the trailer: digest of the file without its last line
  int64_t bytes = 0;
};

// SHA-256 (hex) and size of a file, read in pieces.
Result<std::string> sha256_file(const std::filesystem::path& file, int64_t& size);

// Reads and checks a whole backup file. `sink` (optional) gets the entries.
Result<Verified> read_backup_file(const std::filesystem::path& file, const Limits& limits,
                                  EntrySink* sink);

// Appends to a file being written, hashing every byte for the trailer.
class BackupWriter {
 public:
  // Creates `path` (mode 0600, must not exist) and writes header + manifest.
  static Result<std::unique_ptr<BackupWriter>> create(const std::filesystem::path& path,
                                                      const Manifest& manifest);
  ~BackupWriter();
  BackupWriter(const BackupWriter&) = delete;
  BackupWriter& operator=(const BackupWriter&) = delete;

  Status write(std::string_view bytes);
  // Writes the trailer, fsyncs and closes; returns the trailer digest.
  Result<std::string> finish();
  int64_t bytes() const { return bytes_; }

 private:
  BackupWriter() = default;
  struct Hash;
  std::filesystem::path path_;
  int fd_ = -1;
  int64_t bytes_ = 0;
  std::unique_ptr<Hash> hash_;
};

}  // namespace vitrine::store::backup
