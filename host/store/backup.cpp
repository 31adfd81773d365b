// Taking a backup of a data directory and restoring one (see backup.h).
#include "store/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <random>
#include <system_error>

#include "digest/sha256.h"
#include "store/audit.h"
#include "store/crypto/encoding.h"
#include "store/crypto/keyring.h"
#include "store/report.h"
#include "store/sqlite/sqlite_backend.h"

namespace vitrine::store::backup {
namespace fs = std::filesystem;
namespace {

// Files of a data directory that are not data: the live database (copied
// through the online backup instead) and the running server's lock.
bool is_runtime_file(const std::string& rel) {
  static const char* const names[] = {"vitrine.db", "vitrine.db-wal", "vitrine.db-shm",
                                      "vitrine.db-journal", "serve.lock"};
  return std::find_if(std::begin(names), std::end(names),
                      [&](const char* n) { return rel == n; }) != std::end(names);
}

Error io_error(const std::string& what, const fs::path& p, int err = errno) {
  return make_error(Errc::io, "cannot " + what + " " + p.string() + ": " + std::strerror(err));
}

std::string random_suffix() {
  uint8_t b[6];
  if (!crypto::random_bytes(b)) {
    std::random_device rd;
    for (auto& x : b) x = static_cast<uint8_t>(rd());
  }
  return crypto::hex_encode(b);
}

// Removes a path (file or tree) when it goes out of scope unless released.
class Cleanup {
 public:
  explicit Cleanup(fs::path p) : path_(std::move(p)) {}
  ~Cleanup() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

Result<std::string> read_whole(const fs::path& p, int64_t limit) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return io_error("read", p);
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int err = errno;
      ::close(fd);
      return io_error("read", p, err);
    }
    if (r == 0) break;
    out.append(buf, static_cast<std::size_t>(r));
    if (static_cast<int64_t>(out.size()) > limit) {
      ::close(fd);
      return make_error(Errc::invalid, p.string() + " is larger than the backup's entry limit");
    }
  }
  ::close(fd);
  return out;
}

// Facts about the database copy for the manifest; also proves it is sound.
Result<DatabaseInfo> inspect_copy(const fs::path& db_file) {
  sqlite3* db = nullptr;
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> guard(nullptr, sqlite3_close);
  int rc = sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  guard.reset(db);
  if (rc != SQLITE_OK) {
    return make_error(Errc::io, "cannot open the database copy: " +
                                    std::string(db ? sqlite3_errmsg(db) : "out of memory"));
  }
  DatabaseInfo info;
  std::string check;
  auto query = [&](const char* sql, const std::function<void(sqlite3_stmt*)>& row) -> bool {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) return false;
    int r = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) row(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE;
  };
  bool ok = query("PRAGMA quick_check",
                  [&](sqlite3_stmt* st) {
                    const auto* t = sqlite3_column_text(st, 0);
                    check += t ? reinterpret_cast<const char*>(t) : "";
                  }) &&
            query("PRAGMA page_count",
                  [&](sqlite3_stmt* st) { info.pages = sqlite3_column_int64(st, 0); }) &&
            query("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM audit", [&](sqlite3_stmt* st) {
              info.audit_rows = sqlite3_column_int64(st, 0);
              info.audit_last_id = sqlite3_column_int64(st, 1);
            });
  if (!ok || check != "ok") {
    return make_error(Errc::io, "the database copy failed its check (" +
                                    std::string(ok ? check : sqlite3_errmsg(db)) +
                                    "); run 'vitrine store check' on the data directory");
  }
  return info;
}

struct FileEntry {
  std::string rel;
  std::string bytes;
};

// Every regular file of the data directory that belongs in a backup, read
// whole (a page being rewritten is stored as one version, never torn).
Result<std::vector<FileEntry>> collect_files(const CreateOptions& o,
                                             std::vector<std::string>& skipped) {
  std::vector<fs::path> excluded;
  for (const auto& p : o.exclude) {
    std::error_code ec;
    auto canon = fs::weakly_canonical(p, ec);
    if (!ec) excluded.push_back(canon);
  }
  std::vector<std::string> rels;
  std::error_code ec;
  fs::recursive_directory_iterator it(o.data_dir, ec), end;
  if (ec) return io_error("list", o.data_dir, ec.value());
  for (; it != end; it.increment(ec)) {
    if (ec) return io_error("list", o.data_dir, ec.value());
    const auto rel = it->path().lexically_relative(o.data_dir).generic_string();
    auto status = it->symlink_status(ec);
    if (ec) return io_error("inspect", it->path(), ec.value());
    if (fs::is_directory(status)) continue;
    if (fs::is_symlink(status)) {
      skipped.push_back(rel + ": symbolic link (not followed)");
      continue;
    }
    if (!fs::is_regular_file(status)) {
      skipped.push_back(rel + ": not a regular file");
      continue;
    }
    if (is_runtime_file(rel) || rel.find(".tmp-") != std::string::npos) continue;
    if (!check_entry_path(rel)) {
      skipped.push_back(rel + ": name outside [A-Za-z0-9._+@-]");
      continue;
    }
    auto canon = fs::weakly_canonical(it->path(), ec);
    if (!ec && std::find(excluded.begin(), excluded.end(), canon) != excluded.end()) {
      skipped.push_back(rel + ": the key file is never backed up");
      continue;
    }
    rels.push_back(rel);
  }
  std::sort(rels.begin(), rels.end());
  std::vector<FileEntry> files;
  for (std::size_t i = 0; i < rels.size(); ++i) {
    auto bytes = read_whole(o.data_dir / rels[i], o.limits.max_entry_bytes);
    if (!bytes) {
      // Deleted while we listed: it is simply not part of this backup.
      std::error_code gone;
      if (!fs::exists(o.data_dir / rels[i], gone) && !gone) continue;
      return bytes.error();
    }
    if (auto ring = crypto::Keyring::parse(*bytes, rels[i]); ring && !ring->empty()) {
      skipped.push_back(rels[i] + ": holds keys (a keyring is never backed up)");
      continue;
    }
    files.push_back(FileEntry{rels[i], std::move(*bytes)});
    if (o.progress) {
      o.progress(Progress{Progress::Phase::files, static_cast<int64_t>(i + 1),
                          static_cast<int64_t>(rels.size())});
    }
  }
  return files;
}

// Writes entries into the restore directory as the reader hands them out.
class DirectorySink final : public EntrySink {
 public:
  DirectorySink(fs::path root, int64_t total, const ProgressFn& progress)
      : root_(std::move(root)), total_(total), progress_(progress) {}
  ~DirectorySink() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status begin(const Entry& e) override {
    fs::path target = root_ / e.path;
    // Parents are created one by one with 0700, like the data directory.
    fs::path dir = root_;
    fs::path parent = fs::path(e.path).parent_path();
    for (const auto& part : parent) {
      dir /= part;
      if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return io_error("create", dir);
    }
    fd_ = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd_ < 0) return io_error("create", target);
    path_ = target;
    return ok_status();
  }

  Status write(std::string_view chunk) override {
    while (!chunk.empty()) {
      ssize_t r = ::write(fd_, chunk.data(), chunk.size());
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return io_error("write", path_);
      chunk.remove_prefix(static_cast<std::size_t>(r));
    }
    return ok_status();
  }

  Status end(const Entry&) override {
    int fd = fd_;
    fd_ = -1;
    if (::fsync(fd) != 0) {
      int err = errno;
      ::close(fd);
      return io_error("flush", path_, err);
    }
    if (::close(fd) != 0) return io_error("close", path_);
    ++done_;
    if (progress_) progress_(Progress{Progress::Phase::restore, done_, total_});
    return ok_status();
  }

 private:
  fs::path root_;
  int64_t total_;
  const ProgressFn& progress_;
  int fd_ = -1;
  fs::path path_;
  int64_t done_ = 0;
};

Status sync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error("flush", dir);
  return ok_status();
}

// Missing, or an empty directory; anything else is refused.
Status check_target(const fs::path& target) {
  struct stat st {};
  if (::lstat(target.c_str(), &st) != 0) {
    if (errno == ENOENT) return ok_status();
    return io_error("inspect", target);
  }
  std::error_code ec;
  if (!S_ISDIR(st.st_mode) || !fs::is_empty(target, ec) || ec) {
    return make_error(Errc::invalid, target.string() + " exists and is not an empty directory [" +
                                         rule::target_not_empty +
                                         "]; nothing was written: restore into a new or empty "
                                         "directory, never over a data directory in use");
  }
  return ok_status();
}

}  // namespace

Result<CreateReport> create_backup(Backend& db, const CreateOptions& o) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(o.out, ec))) {
    return make_error(Errc::invalid, o.out.string() +
                                         " already exists; choose a new file name (a backup never "
                                         "overwrites a file)");
  }
  const fs::path out_dir = o.out.has_parent_path() ? o.out.parent_path() : fs::path(".");
  {
    // A backup inside the data directory would be copied into the next one.
    const auto data = fs::weakly_canonical(o.data_dir, ec).generic_string() + "/";
    const auto dir = fs::weakly_canonical(out_dir, ec).generic_string() + "/";
    if (!ec && dir.rfind(data, 0) == 0) {
      return make_error(Errc::invalid, o.out.string() +
                                           " lies inside the data directory; write the backup "
                                           "somewhere else (another disk is best)");
    }
  }
  const std::string stem = "." + o.out.filename().string() + ".tmp-" + random_suffix();
  const fs::path db_copy = out_dir / (stem + ".db");
  const fs::path partial = out_dir / stem;
  Cleanup remove_copy(db_copy), remove_partial(partial);

  // The database first: its snapshot is the backup's point in time.
  auto st = db.backup_database_to(db_copy, [&](int64_t done, int64_t total) {
    if (o.progress) o.progress(Progress{Progress::Phase::database, done, total});
  });
  if (!st) return st.error();
  auto info = inspect_copy(db_copy);
  if (!info) return info.error();
  Manifest m;
  m.created_at_ms = o.now();
  m.created_at = format_time(m.created_at_ms);
  m.vitrine_version = o.vitrine_version;
  m.schema_version = db.schema_version();
  m.database = *info;
  Entry db_entry{kDatabaseEntry, 0, ""};
  auto digest = sha256_file(db_copy, db_entry.size);
  if (!digest) return digest.error();
  db_entry.sha256 = *digest;
  m.entries.push_back(db_entry);

  CreateReport report;
  auto files = collect_files(o, report.skipped);
  if (!files) return files.error();
  for (const auto& f : *files) {
    m.entries.push_back(
        Entry{f.rel, static_cast<int64_t>(f.bytes.size()), digest::sha256_hex(f.bytes)});
  }

  auto writer = BackupWriter::create(partial, m);
  if (!writer) return writer.error();
  {
    int fd = ::open(db_copy.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("read", db_copy);
    std::string buf(64 * 1024, '\0');
    int64_t copied = 0;
    for (;;) {
      ssize_t r = ::read(fd, buf.data(), buf.size());
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        ::close(fd);
        if (r < 0) return io_error("read", db_copy);
        break;
      }
      copied += r;
      if (auto w = (*writer)->write({buf.data(), static_cast<std::size_t>(r)}); !w) {
        ::close(fd);
        return w.error();
      }
    }
    if (copied != db_entry.size) {
      return make_error(Errc::io, "the database copy changed while it was written; try again");
    }
  }
  for (const auto& f : *files) {
    if (auto w = (*writer)->write(f.bytes); !w) return w.error();
  }
  auto trailer = (*writer)->finish();
  if (!trailer) return trailer.error();
  // link() never replaces: a file that appeared at `out` meanwhile wins.
  if (::link(partial.c_str(), o.out.c_str()) != 0) return io_error("create", o.out);
  if (auto s = sync_dir(out_dir); !s) return s.error();
  report.file = Verified{std::move(m), *trailer, (*writer)->bytes()};
  return report;
}

Result<Verified> verify_backup(const fs::path& file, const Limits& limits) {
  return read_backup_file(file, limits, nullptr);
}

Result<Verified> restore_backup(const RestoreOptions& o) {
  if (auto st = check_target(o.target); !st) return st.error();
  // Everything is proven before a single byte is written.
  auto verified = read_backup_file(o.file, o.limits, nullptr);
  if (!verified) return verified.error();

  const fs::path target = fs::absolute(o.target).lexically_normal();
  const fs::path parent = target.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return io_error("create", parent, ec.value());
  std::string tmpl = (parent / ("." + target.filename().string() + ".restore-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) return io_error("create a directory beside", target);
  const fs::path tmp = tmpl;
  Cleanup remove_tmp(tmp);

  // Second pass: the same checks again while writing, so a file that
  // changed since the first pass still cannot leave a bad restore behind.
  DirectorySink sink(tmp, static_cast<int64_t>(verified->manifest.entries.size()), o.progress);
  auto written = read_backup_file(o.file, o.limits, &sink);
  if (!written) return written.error();
  if (written->sha256 != verified->sha256) {
    return make_error(Errc::io, o.file.string() + " changed during the restore; try again");
  }

  {
    // The restored database must open (migrations of an older schema are
    // applied here), pass its integrity check, and record the restore.
    auto backend = open_sqlite_backend(tmp / kSqliteFileName);
    if (!backend) return backend.error();
    auto check = (*backend)->integrity_check();
    if (!check) return check.error();
    if (*check != "ok") {
      return make_error(Errc::io, "the restored database failed its integrity check: " + *check);
    }
    AuditLog audit(**backend, o.now);
    const auto& m = written->manifest;
    auto row = audit.record(
        AuditEvent{o.who, "", "backup.restore", o.file.filename().string(), "ok",
                   Detail{{"sha256", written->sha256, false},
                          {"created_at", m.created_at, false},
                          {"vitrine_version", m.vitrine_version, false},
                          {"entries", std::to_string(m.entries.size()), true},
                          {"audit_rows", std::to_string(m.database.audit_rows), true}}});
    if (!row) return row.error();
  }
  if (auto s = sync_dir(tmp); !s) return s.error();
  // rename() replaces an empty target directory atomically, or fails.
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    int err = errno;
    if (err == ENOTEMPTY || err == EEXIST) {
      return make_error(Errc::invalid, target.string() + " became non-empty during the restore [" +
                                           rule::target_not_empty + "]; nothing was written");
    }
    return io_error("move the restored directory to", target, err);
  }
  remove_tmp.release();
  if (auto s = sync_dir(parent); !s) return s.error();
  return written;
}

}  // namespace vitrine::store::backup
