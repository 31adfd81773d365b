#include "store/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "store/instance_marker.h"
#include "store/key_check.h"
#include "store/postgres/postgres_backend.h"
#include "store/sqlite/sqlite_backend.h"

namespace vitrine::store {
namespace {

std::string store_check_advice(const std::filesystem::path& dir) {
  return "stop vitrine, run 'vitrine store check --data-dir " + dir.string() +
         "' for the full report, and restore a backup ('vitrine restore FILE' into a new "
         "--data-dir)";
}

// A marker says the directory was initialised; its database missing or
// empty then means data loss, not a first start.
std::optional<Error> refuse_lost_database(const std::filesystem::path& dir,
                                          const std::filesystem::path& db,
                                          const std::optional<InstanceMarker>& marker,
                                          bool allow_init) {
  if (!marker || allow_init) return std::nullopt;
  struct stat st {};
  const bool missing = ::stat(db.c_str(), &st) != 0;
  if (!missing && st.st_size > 0) return std::nullopt;
  const std::string when = marker->created.empty() ? "an unknown date" : marker->created;
  return make_error(Errc::io, "data directory " + dir.string() + " was initialised on " + when +
                                  " but its database " + kSqliteFileName + " is " +
                                  (missing ? "missing" : "empty (0 bytes)") +
                                  "; restore a backup ('vitrine restore FILE' into a new "
                                  "--data-dir), or pass --init to 'vitrine serve' to start "
                                  "with an empty database");
}

Error damaged(const std::filesystem::path& db, const std::filesystem::path& dir,
              const std::string& report) {
  // The first few problems are enough to recognise damage; `store check`
  // prints them all.
  std::string first;
  size_t lines = 0;
  for (size_t pos = 0; pos < report.size() && lines < 3; ++lines) {
    size_t nl = report.find('\n', pos);
    first += (first.empty() ? "" : "; ") + report.substr(pos, nl - pos);
    pos = nl == std::string::npos ? report.size() : nl + 1;
  }
  return make_error(
      Errc::io, "database " + db.string() + " is damaged (quick_check: " + first +
                    "); vitrine does not start on a damaged database: " + store_check_advice(dir));
}

// SQLite reports damage found while opening (reading the schema) or while
// checking as "malformed" or "not a database"; point at the full report.
Error with_damage_advice(Error e, const std::filesystem::path& dir) {
  const bool damage = e.message.find("malformed") != std::string::npos ||
                      e.message.find("not a database") != std::string::npos ||
                      e.message.find("is damaged") != std::string::npos;
  if (damage && e.message.find("store check") == std::string::npos) {
    e.message += "; 'vitrine store check --data-dir " + dir.string() +
                 "' prints the full report; vitrine does not start on a damaged database";
  }
  return e;
}

// The password comes from a file with the keyring file's rules; it is
// handed to libpq and never put into a message.
Result<std::unique_ptr<Backend>> open_postgres(const StoreOptions& options, bool allow_create) {
  if (options.url.empty()) {
    return make_error(Errc::invalid,
                      "store.backend is postgres but store.url is empty; set store.url to "
                      "postgres://USER@HOST:PORT/DATABASE?sslmode=verify-full");
  }
  PostgresOptions po;
  po.url = options.url;
  po.allow_create = allow_create;
  po.listen = options.notify;
  if (!options.password_file.empty()) {
    auto password = read_postgres_password(options.password_file);
    if (!password) return password.error();
    po.password = std::move(*password);
  }
  auto b = open_postgres_backend(po);
  std::fill(po.password.begin(), po.password.end(), '\0');
  return b;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(StoreOptions options) {
  const auto& dir = options.data_dir;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(Errc::io, "cannot create data directory " + dir.string() + ": " +
                                    std::strerror(errno) + "; pass --data-dir DIR");
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(Errc::io, "data directory " + dir.string() + " is not a directory");
  }
  std::unique_ptr<Store> s(new Store());
  if (options.backend == "sqlite") {
    const auto db = dir / kSqliteFileName;
    const auto marker = read_instance_marker(dir);
    if (auto refused = refuse_lost_database(dir, db, marker, options.allow_init)) return *refused;
    auto b = open_sqlite_backend(db);
    if (!b) return with_damage_advice(b.error(), dir);
    s->backend_ = std::move(*b);
    if (options.quick_check) {
      auto check = s->backend_->quick_check();
      if (!check) return with_damage_advice(check.error(), dir);
      if (*check != "ok") return damaged(db, dir, *check);
    }
    if (!marker) {
      // First initialisation, or a directory from before markers existed.
      if (auto m = write_instance_marker(dir, options.now()); !m) return m.error();
    }
  } else if (options.backend == "postgres") {
    const auto marker = read_instance_marker(dir);
    auto b = open_postgres(options, !marker || options.allow_init);
    if (!b) return b.error();
    s->backend_ = std::move(*b);
    if (options.quick_check) {
      auto check = s->backend_->quick_check();
      if (!check) return check.error();
      if (*check != "ok") {
        return make_error(Errc::io, "the PostgreSQL database " + redact_postgres_url(options.url) +
                                        " is incomplete (" + *check +
                                        "); restore it from a backup");
      }
    }
    if (!marker) {
      if (auto m = write_instance_marker(dir, options.now()); !m) return m.error();
    }
  } else {
    return make_error(Errc::invalid, "storage backend '" + options.backend +
                                         "' is not known; set store.backend to sqlite or "
                                         "postgres");
  }
  s->audit_ = std::make_unique<AuditLog>(*s->backend_, options.now);
  s->license_audit_ =
      std::make_unique<LicenseAuditAggregator>(*s->audit_, std::chrono::seconds(60), options.now);
  if (options.log) s->log_ = std::make_unique<JsonLog>(*options.log);
  s->keyring_ = std::make_unique<crypto::LiveKeyring>(std::move(options.keyring), options.key_file);
  s->ctx_ = std::make_unique<Context>(Context{*s->backend_, *s->audit_, s->keyring_.get(),
                                              options.now, s->log_.get(), &s->changes_});
  s->cache_limits_ = options.cache_limits;
  s->asset_limits_ = options.asset_limits;
  s->data_dir_ = dir;
  // Fail closed: a keyring that is not the data's never starts serving.
  if (auto ring = s->keyring(); ring && !ring->empty()) {
    const std::string source =
        options.key_file ? options.key_file->string() : std::string(crypto::kMasterKeyEnv);
    auto proof = prove_keyring(*s->ctx_, *ring, source);
    if (!proof) return proof.error();
  }
  return s;
}

}  // namespace vitrine::store
