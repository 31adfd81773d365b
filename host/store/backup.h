// Online backup and restore of a data directory (docs/admin.md "Backup and
// restore"). The database is copied with the backend's online backup (a
// consistent snapshot while a server keeps writing); every other regular
// file of the data directory (pages, license, instance marker) is read
// whole and stored as it is. The keyring is never stored: the key file is
// excluded by path, and any file whose content parses as a keyring is
// excluded too. The file format is in backup_format.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "store/backend.h"
#include "store/backup_format.h"
#include "store/context.h"

namespace vitrine::store::backup {

struct Progress {
  enum class Phase { database, files, restore };
  Phase phase = Phase::database;
  int64_t done = 0;  // pages (database) or files
  int64_t total = 0;
};
using ProgressFn = std::function<void(const Progress&)>;

struct CreateOptions {
  std::filesystem::path data_dir;
  std::filesystem::path out;                   // must not exist yet
  std::vector<std::filesystem::path> exclude;  // e.g. the key file, when it lies inside
  std::string vitrine_version;
  Clock now = system_now_ms;
  ProgressFn progress;
  Limits limits;
};

struct CreateReport {
  Verified file;                     // what was written, as a reader sees it
  std::vector<std::string> skipped;  // "path: reason" for files left out
};

// Writes the backup to a temporary file beside `out`, then links it into
// place (never replacing an existing file). `db` is the data directory's
// open backend.
Result<CreateReport> create_backup(Backend& db, const CreateOptions& options);

// Checks a backup file completely without writing anything.
Result<Verified> verify_backup(const std::filesystem::path& file, const Limits& limits = {});

struct RestoreOptions {
  std::filesystem::path file;
  std::filesystem::path target;  // missing or an empty directory
  std::string who;               // the audit row's actor
  Clock now = system_now_ms;
  ProgressFn progress;
  Limits limits;
};

namespace rule {
inline constexpr const char* target_not_empty = "restore-target-not-empty";
}

// Verifies the whole file first (refusals write nothing), then writes into
// a fresh directory beside `target` (files 0600, directories 0700), checks
// the restored database, records a "backup.restore" audit row in it, and
// renames the directory into place. On any failure the temporary directory
// is removed: a restore is complete or absent.
Result<Verified> restore_backup(const RestoreOptions& options);

}  // namespace vitrine::store::backup
