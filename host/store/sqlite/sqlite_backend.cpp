// SQLite implementation of store::Backend through Poco::Data. Every query of
// a per-space table carries `space = ?` (P6). The session is not
// thread-safe, so one recursive mutex serializes all calls; a transaction()
// holds it for its whole duration, and nested calls join the transaction.
// That mutex also serializes every write of a process (the server's request
// threads included), so only other processes ever compete for SQLite's write
// lock.
//
// Locking: transaction() starts with BEGIN IMMEDIATE, never a deferred
// BEGIN. A deferred transaction that read first and then wants to write gets
// SQLITE_BUSY at once, without the busy handler, to avoid a deadlock;
// taking the write lock up front makes every writer wait in the busy handler
// instead. Single-statement writes outside a transaction take the write lock
// from no transaction at all, so the busy handler applies to them too.
#include "store/sqlite/sqlite_backend.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "store/data_dir_lock.h"

namespace vitrine::store {
namespace {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;
using Poco::Data::Statement;

// Versioned migrations: each entry is one schema version; its statements run
// in one transaction and the version is recorded in schema_migrations. Never
// edit a released entry; append a new one.
const std::vector<std::vector<std::string>>& migrations() {
  static const std::vector<std::vector<std::string>> m = {
      {
          // 1: initial schema
          "CREATE TABLE spaces (key TEXT PRIMARY KEY, display_name TEXT NOT NULL, "
          "created_at INTEGER NOT NULL, created_by TEXT NOT NULL, "
          "grafana_origin TEXT NOT NULL DEFAULT '', grafana_allow_private INTEGER NOT NULL "
          "DEFAULT 0, connected_at INTEGER NOT NULL DEFAULT 0, connected_by TEXT NOT NULL "
          "DEFAULT '')",
          "CREATE TABLE customer_origins (space TEXT NOT NULL REFERENCES spaces(key) ON DELETE "
          "CASCADE, origin TEXT NOT NULL, plugin_id TEXT NOT NULL, entry TEXT NOT NULL, "
          "allow_private INTEGER NOT NULL, approved_at INTEGER NOT NULL, approved_by TEXT NOT "
          "NULL, PRIMARY KEY (space, origin, plugin_id, entry))",
          "CREATE TABLE secrets (space TEXT NOT NULL REFERENCES spaces(key) ON DELETE CASCADE, "
          "name TEXT NOT NULL, origin TEXT NOT NULL, record TEXT NOT NULL, set_at INTEGER NOT "
          "NULL, set_by TEXT NOT NULL, PRIMARY KEY (space, name))",
          "CREATE TABLE plugin_approvals (id INTEGER PRIMARY KEY AUTOINCREMENT, plugin_id TEXT "
          "NOT NULL, version TEXT NOT NULL, permissions_json TEXT NOT NULL, permissions_hash "
          "TEXT NOT NULL, approved_at INTEGER NOT NULL, approved_by TEXT NOT NULL)",
          "CREATE INDEX plugin_approvals_plugin ON plugin_approvals(plugin_id, id)",
          "CREATE TABLE plugin_enablement (space TEXT NOT NULL REFERENCES spaces(key) ON DELETE "
          "CASCADE, plugin_id TEXT NOT NULL, enabled_at INTEGER NOT NULL, enabled_by TEXT NOT "
          "NULL, PRIMARY KEY (space, plugin_id))",
          "CREATE TABLE cache_entries (space TEXT NOT NULL REFERENCES spaces(key) ON DELETE "
          "CASCADE, plugin_id TEXT NOT NULL, key_hash TEXT NOT NULL, record TEXT NOT NULL, "
          "size INTEGER NOT NULL, fetched_at INTEGER NOT NULL, fresh_until INTEGER NOT NULL, "
          "stale_until INTEGER NOT NULL, last_access INTEGER NOT NULL, "
          "PRIMARY KEY (space, plugin_id, key_hash))",
          "CREATE INDEX cache_lru ON cache_entries(space, last_access)",
          "CREATE TABLE assets (space TEXT NOT NULL REFERENCES spaces(key) ON DELETE CASCADE, "
          "id TEXT NOT NULL, content_type TEXT NOT NULL, record TEXT NOT NULL, size INTEGER NOT "
          "NULL, created_at INTEGER NOT NULL, PRIMARY KEY (space, id))",
          "CREATE TABLE admin_tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, role TEXT "
          "NOT NULL, created_at INTEGER NOT NULL, created_by TEXT NOT NULL, revoked_at INTEGER "
          "NOT NULL DEFAULT 0)",
          "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, who "
          "TEXT NOT NULL, space TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL, "
          "verdict TEXT NOT NULL, detail TEXT NOT NULL)",
          "CREATE INDEX audit_space_at ON audit(space, at)",
          "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN "
          "SELECT RAISE(ABORT, 'audit rows are append-only'); END",
          "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN "
          "SELECT RAISE(ABORT, 'audit rows are append-only'); END",
      },
      {
          // 2: desired-state change feed and keyring proofs.
          // change_feed has exactly one row: `seq` is bumped by every
          // desired-state write (in its transaction), `keyring_generation` by
          // every keyring change; running hosts poll it to reconcile.
          "CREATE TABLE change_feed (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT "
          "NULL, keyring_generation INTEGER NOT NULL, changed_at INTEGER NOT NULL)",
          "INSERT INTO change_feed (id, seq, keyring_generation, changed_at) VALUES (1, 0, 0, 0)",
          // One sealed known value per key id: proves at start that the keyring
          // holds the very keys the data was written with.
          "CREATE TABLE key_checks (key_id TEXT PRIMARY KEY, record TEXT NOT NULL, created_at "
          "INTEGER NOT NULL)",
      },
      {
          // 3: immutable space ids. A key can be deleted and created again;
          // the id tells the generations apart. SQLite cannot change a
          // primary key, so the id is a new column with a unique index.
          "ALTER TABLE spaces ADD COLUMN id TEXT NOT NULL DEFAULT ''",
          "UPDATE spaces SET id = lower(hex(randomblob(16)))",
          "CREATE UNIQUE INDEX spaces_id ON spaces(id)",
          // Audit rows name the generation too. Existing rows written while
          // the current generation existed (at >= its created_at) get its id;
          // older ones stay unbound (visible to platform admins only). This
          // one derivation lifts the append-only trigger inside this
          // migration's transaction and restores it unchanged.
          "ALTER TABLE audit ADD COLUMN space_id TEXT NOT NULL DEFAULT ''",
          "DROP TRIGGER audit_no_update",
          "UPDATE audit SET space_id = COALESCE((SELECT s.id FROM spaces s WHERE s.key = "
          "audit.space AND audit.at >= s.created_at), '') WHERE space <> ''",
          "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN "
          "SELECT RAISE(ABORT, 'audit rows are append-only'); END",
          // Space tokens bind to the generation they were created for. A token
          // created before its space's current generation was made for a
          // deleted predecessor: it stays unbound, and is revoked (audited,
          // unbound too: it is about the predecessor).
          "ALTER TABLE admin_tokens ADD COLUMN space_id TEXT NOT NULL DEFAULT ''",
          "UPDATE admin_tokens SET space_id = COALESCE((SELECT s.id FROM spaces s WHERE s.key = "
          "substr(admin_tokens.role, instr(admin_tokens.role, ':') + 1) AND "
          "admin_tokens.created_at >= s.created_at), '') WHERE role <> 'platform-admin'",
          "INSERT INTO audit (at, who, space, action, subject, verdict, detail) SELECT "
          "CAST(strftime('%s','now') AS INTEGER) * 1000, 'migration:3', substr(role, instr(role, "
          "':') + 1), 'admin-token.revoke', id, 'ok', '{\"reason\":\"its space was deleted "
          "(token older than the space with that key)\"}' FROM admin_tokens WHERE role <> "
          "'platform-admin' AND space_id = '' AND revoked_at = 0",
          "UPDATE admin_tokens SET revoked_at = CAST(strftime('%s','now') AS INTEGER) * 1000 "
          "WHERE role <> 'platform-admin' AND space_id = '' AND revoked_at = 0",
          "CREATE INDEX audit_space_id_at ON audit(space_id, at)",
      },
      {
          // 4: the plugin store. Artifacts are content-addressed (manifest
          // and library digests); approvals pin them; pins choose a version
          // (rollback); publisher keys verify signed bundles.
          "CREATE TABLE plugin_artifacts (plugin_id TEXT NOT NULL, version TEXT NOT NULL, "
          "manifest_sha256 TEXT NOT NULL, library_sha256 TEXT NOT NULL, manifest_path TEXT NOT "
          "NULL, signer TEXT NOT NULL, source TEXT NOT NULL, installed_at INTEGER NOT NULL, "
          "installed_by TEXT NOT NULL, PRIMARY KEY (plugin_id, manifest_sha256, library_sha256))",
          "ALTER TABLE plugin_approvals ADD COLUMN manifest_sha256 TEXT NOT NULL DEFAULT ''",
          "ALTER TABLE plugin_approvals ADD COLUMN library_sha256 TEXT NOT NULL DEFAULT ''",
          "CREATE TABLE plugin_pins (plugin_id TEXT PRIMARY KEY, version TEXT NOT NULL, "
          "pinned_at INTEGER NOT NULL, pinned_by TEXT NOT NULL)",
          "CREATE TABLE trusted_publishers (name TEXT PRIMARY KEY, public_key TEXT NOT NULL "
          "UNIQUE, added_at INTEGER NOT NULL, added_by TEXT NOT NULL)",
      },
      {
          // 5: the tamper-evident audit chain (store/audit_chain.h). Each new
          // row carries its link; rows written before this migration keep an
          // empty one, and the chain starts after the last of them
          // (genesis_after_id). audit_chain also records what was archived
          // and pruned, and the append-only delete trigger now lets through
          // exactly those rows, nothing else.
          "ALTER TABLE audit ADD COLUMN chain TEXT NOT NULL DEFAULT ''",
          "CREATE TABLE audit_chain (id INTEGER PRIMARY KEY CHECK (id = 1), genesis_after_id "
          "INTEGER NOT NULL, pruned_through_id INTEGER NOT NULL DEFAULT 0, pruned_through_hash "
          "TEXT NOT NULL DEFAULT '', pruned_rows INTEGER NOT NULL DEFAULT 0, pruned_at INTEGER "
          "NOT NULL DEFAULT 0)",
          "INSERT INTO audit_chain (id, genesis_after_id) VALUES (1, MAX(COALESCE((SELECT "
          "MAX(id) FROM audit), 0), COALESCE((SELECT seq FROM sqlite_sequence WHERE name = "
          "'audit'), 0)))",
          "DROP TRIGGER audit_no_delete",
          "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit WHEN old.id > (SELECT "
          "pruned_through_id FROM audit_chain WHERE id = 1) BEGIN SELECT RAISE(ABORT, 'audit "
          "rows are append-only; only archived rows may be pruned'); END",
          "CREATE TRIGGER audit_chain_forward BEFORE UPDATE ON audit_chain WHEN "
          "new.pruned_through_id < old.pruned_through_id OR new.genesis_after_id <> "
          "old.genesis_after_id BEGIN SELECT RAISE(ABORT, 'the audit chain anchor only moves "
          "forward'); END",
          "CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain BEGIN SELECT "
          "RAISE(ABORT, 'the audit chain anchor cannot be deleted'); END",
      },
      {
          // 6: identity. Admin tokens get a name, an optional expiry and the
          // time of their last use; users signed in through OpenID Connect
          // are recorded by issuer and subject.
          "ALTER TABLE admin_tokens ADD COLUMN name TEXT NOT NULL DEFAULT ''",
          "ALTER TABLE admin_tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0",
          "ALTER TABLE admin_tokens ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0",
          "CREATE TABLE users (issuer TEXT NOT NULL, subject TEXT NOT NULL, name TEXT NOT NULL, "
          "email TEXT NOT NULL, first_login INTEGER NOT NULL, last_login INTEGER NOT NULL, "
          "PRIMARY KEY (issuer, subject))",
      },
      {
          // 7: embeds. The origins allowed to frame a space's embeds, and share
          // links (store/embed_settings.h, store/share_links.h). Both go with
          // their space; share links also carry the space id so a space created
          // again with the same key never honours an old link.
          "CREATE TABLE embed_origins (space TEXT NOT NULL REFERENCES spaces(key) ON DELETE "
          "CASCADE, origin TEXT NOT NULL, added_at INTEGER NOT NULL, added_by TEXT NOT NULL, "
          "PRIMARY KEY (space, origin))",
          "CREATE TABLE share_links (id TEXT PRIMARY KEY, space TEXT NOT NULL REFERENCES "
          "spaces(key) ON DELETE CASCADE, space_id TEXT NOT NULL, page TEXT NOT NULL, macro "
          "INTEGER NOT NULL DEFAULT 0, expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL, "
          "created_by TEXT NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0, revoked_by TEXT NOT "
          "NULL DEFAULT '')",
          "CREATE INDEX share_links_space ON share_links (space)",
      },
      {
          // 8: withdrawn approvals (LC-6). A platform admin can take a
          // plugin's approval back; the rows stay as history and cover
          // nothing, so a later approval is a new row.
          "ALTER TABLE plugin_approvals ADD COLUMN withdrawn_at INTEGER NOT NULL DEFAULT 0",
          "ALTER TABLE plugin_approvals ADD COLUMN withdrawn_by TEXT NOT NULL DEFAULT ''",
      },
      {
          // 9: render leases (store/render_lease.h). Who renders a cold cache
          // entry now; rows live seconds and are never copied or backed up
          // as data (an expired row is taken over in place).
          "CREATE TABLE render_leases (space TEXT NOT NULL, plugin_id TEXT NOT NULL, key_hash "
          "TEXT NOT NULL, holder TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (space, "
          "plugin_id, key_hash))",
      },
      {
          // 10: browser sessions shared by every host (server/sessions.h).
          // The cookie's id is never stored, only its SHA-256; a token
          // session names the admin token by id, never its text; a user's
          // logout hint (the ID token) is an encrypted record.
          "CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, csrf TEXT NOT NULL, token_id TEXT "
          "NOT NULL DEFAULT '', user_who TEXT NOT NULL DEFAULT '', display_name TEXT NOT NULL "
          "DEFAULT '', roles TEXT NOT NULL DEFAULT '', id_token_record TEXT NOT NULL DEFAULT '', "
          "created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL, flash TEXT NOT NULL DEFAULT "
          "'')",
          "CREATE INDEX sessions_last_seen ON sessions (last_seen)",
      },
      {
          // 11: sign-in and share-link rate limits shared by every host
          // (server/rate_limit.h): a token bucket per client address and a
          // failure backoff per account, each a row keyed by kind and key.
          "CREATE TABLE rate_limits (kind TEXT NOT NULL, key TEXT NOT NULL, tokens REAL NOT NULL "
          "DEFAULT 0, refilled_at INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT "
          "0, not_before INTEGER NOT NULL DEFAULT 0, touched_at INTEGER NOT NULL, PRIMARY KEY "
          "(kind, key))",
          "CREATE INDEX rate_limits_touched ON rate_limits (touched_at)",
      },
      {
          // 12: scheduled cache warming per space (off, hourly, custom). The
          // next due time is claimed by one host with a conditional update.
          "CREATE TABLE warm_schedules (space TEXT PRIMARY KEY REFERENCES spaces(key) ON DELETE "
          "CASCADE, mode TEXT NOT NULL, interval_s INTEGER NOT NULL, next_due_at INTEGER NOT "
          "NULL, last_started_at INTEGER NOT NULL DEFAULT 0, last_finished_at INTEGER NOT NULL "
          "DEFAULT 0, last_refreshed INTEGER NOT NULL DEFAULT 0, last_failed INTEGER NOT NULL "
          "DEFAULT 0, last_holder TEXT NOT NULL DEFAULT '', updated_at INTEGER NOT NULL, "
          "updated_by TEXT NOT NULL)",
      },
      {
          // 13: upstream single-flight across hosts (store/upstream_flights.h).
          // Who sends an upstream request now (holder, lease_until) and,
          // for a few seconds after, its sealed response (record,
          // kept_until); rows live seconds and are never copied.
          "CREATE TABLE upstream_flights (space TEXT NOT NULL, key_hash TEXT NOT NULL, holder "
          "TEXT NOT NULL, lease_until INTEGER NOT NULL, record TEXT NOT NULL DEFAULT '', "
          "received_at INTEGER NOT NULL DEFAULT 0, kept_until INTEGER NOT NULL DEFAULT 0, "
          "PRIMARY KEY (space, key_hash))",
      },
  };
  return m;
}

using Clock = std::chrono::steady_clock;

constexpr const char* kBusyPrefix = "the database is busy";
std::atomic<int64_t> g_busy_timeout_ms{kDefaultBusyTimeout.count()};

// The WAL is checkpointed into the database and truncated to zero bytes
// when it holds this many pages (1 MiB at 4 KiB pages) after a commit, and
// at the first commit 30 s after the last checkpoint: a burst of writes
// never leaves a large WAL behind, so recovering the database never needs
// more free space than the data itself.
constexpr int kCheckpointPages = 256;
constexpr auto kCheckpointInterval = std::chrono::seconds(30);
constexpr auto kCheckpointRetry = std::chrono::seconds(1);

// What a database failure means to the operator; each cause gets its own
// message and remedy (docs/security/storage.md, "Locking and disk full").
enum class Cause { full, busy, no_write, damaged, other };

Cause cause_of_code(int rc, int sys_errno) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Cause::full;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Cause::busy;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Cause::no_write;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Cause::damaged;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      if (sys_errno == ENOSPC || sys_errno == EDQUOT) return Cause::full;
      if (sys_errno == EACCES || sys_errno == EPERM || sys_errno == EROFS) return Cause::no_write;
      return Cause::other;
    default:
      return Cause::other;
  }
}

// For failures known only by their text (SQLite's messages are stable).
Cause cause_of_text(const std::string& detail) {
  auto has = [&](const char* s) { return detail.find(s) != std::string::npos; };
  if (has("database or disk is full")) return Cause::full;
  if (has("database is locked") || has("database table is locked")) return Cause::busy;
  if (has("readonly database") || has("access permission denied")) return Cause::no_write;
  if (has("malformed") || has("not a database")) return Cause::damaged;
  return Cause::other;
}

template <class T>
bool is_a(const Poco::Exception& e) {
  return dynamic_cast<const T*>(&e) != nullptr;
}

// Poco turns SQLite's result codes into exception types.
Cause cause_of(const Poco::Exception& e, int sys_errno) {
  namespace sq = Poco::Data::SQLite;
  if (is_a<sq::DatabaseFullException>(e)) return Cause::full;
  if (is_a<sq::DBLockedException>(e) || is_a<sq::TableLockedException>(e)) return Cause::busy;
  if (is_a<sq::ReadOnlyException>(e) || is_a<sq::DBAccessDeniedException>(e) ||
      is_a<sq::AuthorizationDeniedException>(e)) {
    return Cause::no_write;
  }
  if (is_a<sq::CorruptImageException>(e)) return Cause::damaged;
  if (is_a<sq::IOErrorException>(e) || is_a<sq::CantOpenDBFileException>(e)) {
    const Cause c = cause_of_code(SQLITE_IOERR, sys_errno);
    if (c != Cause::other) return c;
  }
  return cause_of_text(e.displayText());
}

std::string seconds_text(Clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  char buf[32];
  std::snprintf(buf, sizeof(buf), s < 10 ? "%.1f s" : "%.0f s", s);
  return buf;
}

// The ten audit columns, read in one pass into column vectors; select_audit and query_audit
// share them so the column list and the row assembly cannot drift apart.
constexpr const char* kAuditColumns =
    "SELECT id, at, who, space, action, subject, verdict, detail, space_id, chain FROM audit ";

struct AuditColumns {
  std::vector<int64_t> ids, at;
  std::vector<std::string> who, space, action, subject, verdict, detail, space_ids, chain;

  void into_all(Statement& stmt) {
    stmt, into(ids), into(at), into(who), into(space), into(action), into(subject), into(verdict),
        into(detail), into(space_ids), into(chain);
  }

  void append_to(std::vector<AuditRow>& out) const {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      out.push_back(AuditRow{ids[i], at[i], who[i], space[i], action[i], subject[i], verdict[i],
                             detail[i], space_ids[i], chain[i]});
    }
  }
};

class SqliteBackend final : public Backend {
 public:
  explicit SqliteBackend(const std::filesystem::path& path)
      : session_("SQLite", path.string()),
        db_(Poco::Data::SQLite::Utility::dbHandle(session_)),
        db_path_(path),
        data_dir_(path.parent_path()),
        busy_timeout_(std::chrono::milliseconds(g_busy_timeout_ms.load())) {}

  Status init() {
    // Before anything else: even switching to WAL may wait for another
    // process. This handler replaces SQLite's busy_timeout (see on_busy).
    sqlite3_busy_handler(db_, &SqliteBackend::on_busy, this);
    return run("opening the database", [&]() -> Status {
      std::string mode;
      session_ << "PRAGMA journal_mode=WAL", into(mode), now;
      if (mode != "wal") {
        return make_error(Errc::io, "the database refused WAL mode (got '" + mode +
                                        "'); put the data directory on a local file system");
      }
      session_ << "PRAGMA foreign_keys=ON", now;
      session_ << "PRAGMA synchronous=FULL", now;
      session_ << "PRAGMA secure_delete=ON", now;
      // A hard cap on the database size, in pages: writes beyond it fail with
      // SQLITE_FULL, exactly as on a full disk. Meant for proving disk-full
      // handling without root (docs/security/storage.md, "Audit").
      if (const char* cap = std::getenv("VITRINE_DB_MAX_PAGES"); cap != nullptr && *cap != '\0') {
        session_ << "PRAGMA max_page_count=" + std::to_string(std::strtoll(cap, nullptr, 10)), now;
      }
      // Our hook replaces SQLite's automatic checkpoint (maybe_checkpoint).
      sqlite3_wal_hook(db_, &SqliteBackend::on_wal_commit, this);
      session_ << "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                  "applied_at INTEGER NOT NULL)",
          now;
      const auto& all = migrations();
      // One migration per write transaction, the version read inside it:
      // processes opening a new data directory together apply each
      // migration exactly once.
      for (;;) {
        // Up to date (every open but the first): no write lock needed.
        int seen = 0;
        session_ << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", into(seen), now;
        if (seen == static_cast<int>(all.size())) break;
        const auto start = Clock::now();
        if (auto st = begin_immediate("applying a schema migration", start); !st) return st;
        try {
          int current = 0;
          session_ << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", into(current), now;
          if (current > static_cast<int>(all.size())) {
            rollback_open();
            return make_error(Errc::io, "the database has schema version " +
                                            std::to_string(current) +
                                            ", newer than this vitrine (" +
                                            std::to_string(all.size()) + "); upgrade vitrine");
          }
          if (current == static_cast<int>(all.size())) {
            rollback_open();
            break;
          }
          for (const auto& sql : all[static_cast<std::size_t>(current)]) session_ << sql, now;
          int version = current + 1;
          session_ << "INSERT INTO schema_migrations (version, applied_at) VALUES (?, "
                      "CAST(strftime('%s','now') AS INTEGER) * 1000)",
              bind(version), now;
        } catch (...) {
          rollback_open();
          throw;
        }
        if (auto st = commit("applying a schema migration", start); !st) return st;
      }
      version_ = static_cast<int>(all.size());
      return ok_status();
    });
  }

  Status transaction(const std::function<Status()>& fn) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (depth_ > 0) return fn();
    const auto start = Clock::now();
    if (auto st = begin_immediate("starting a transaction", start); !st) return st;
    ++depth_;
    Status st = ok_status();
    try {
      st = fn();
    } catch (const Poco::Exception& e) {
      st = db_error("running a transaction", e, start);
    } catch (const std::exception& e) {
      st = db_error("running a transaction", std::string(e.what()));
    }
    --depth_;
    if (!st) {
      // Nothing of a failed transaction stays: a disk-full error in the
      // middle of it leaves the database as it was before.
      rollback_open();
      return st;
    }
    if (auto c = commit("committing a transaction", start); !c) return c;
    maybe_checkpoint();
    return st;
  }

  // ---------------------------------------------------------------- spaces
  Status insert_space(const SpaceRow& r) override {
    return run("creating a space", [&]() -> Status {
      try {
        session_ << "INSERT INTO spaces (key, display_name, created_at, created_by, id) VALUES "
                    "(?, ?, ?, ?, ?)",
            bind(r.key), bind(r.display_name), bind(r.created_at_ms), bind(r.created_by),
            bind(r.id), now;
      } catch (const Poco::Data::SQLite::ConstraintViolationException&) {
        return make_error(Errc::conflict, "space '" + r.key + "' already exists");
      }
      return ok_status();
    });
  }

  Result<std::vector<SpaceRow>> select_spaces(const std::string* key) {
    std::vector<SpaceRow> out;
    auto st = run("reading spaces", [&]() -> Status {
      std::vector<std::string> keys, names, by, origins, cby, ids;
      std::vector<int64_t> at, cat;
      std::vector<int> priv;
      std::string sql =
          "SELECT key, display_name, created_at, created_by, grafana_origin, "
          "grafana_allow_private, connected_at, connected_by, id FROM spaces";
      Statement stmt(session_);
      stmt << sql + (key ? " WHERE key = ?" : " ORDER BY key"), into(keys), into(names), into(at),
          into(by), into(origins), into(priv), into(cat), into(cby), into(ids);
      if (key) stmt, bind(*key);
      stmt.execute();
      for (std::size_t i = 0; i < keys.size(); ++i) {
        out.push_back(SpaceRow{keys[i], names[i], at[i], by[i], origins[i], priv[i] != 0, cat[i],
                               cby[i], ids[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Result<SpaceRow> get_space(const std::string& key) override {
    auto rows = select_spaces(&key);
    if (!rows) return rows.error();
    if (rows->empty()) return not_found("space '" + key + "'");
    return rows->front();
  }

  Result<std::vector<SpaceRow>> list_spaces() override { return select_spaces(nullptr); }

  Status delete_space(const std::string& key) override {
    return run("deleting a space", [&]() -> Status {
      Statement stmt(session_);
      stmt << "DELETE FROM spaces WHERE key = ?", bind(key);
      if (stmt.execute() == 0) return not_found("space '" + key + "'");
      return ok_status();
    });
  }

  Result<int64_t> revoke_admin_tokens_of_space(const std::string& space_id,
                                               int64_t at_ms) override {
    int64_t n = 0;
    auto st = run("revoking the admin tokens of a space", [&]() -> Status {
      if (space_id.empty()) return make_error(Errc::invalid, "empty space id");
      Statement stmt(session_);
      stmt << "UPDATE admin_tokens SET revoked_at = ? WHERE space_id = ? AND revoked_at = 0",
          bind(at_ms), bind(space_id);
      n = static_cast<int64_t>(stmt.execute());
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  Status set_space_origin(const std::string& key, const std::string& origin, bool allow_private,
                          int64_t at_ms, const std::string& by) override {
    return run("connecting a space", [&]() -> Status {
      Statement stmt(session_);
      int priv = allow_private ? 1 : 0;
      stmt << "UPDATE spaces SET grafana_origin = ?, grafana_allow_private = ?, connected_at = "
              "?, connected_by = ? WHERE key = ?",
          bind(origin), bind(priv), bind(at_ms), bind(by), bind(key);
      if (stmt.execute() == 0) return not_found("space '" + key + "'");
      return ok_status();
    });
  }

  Status upsert_customer_origin(const CustomerOriginRow& r) override {
    return run("approving a customer-managed origin", [&]() -> Status {
      int priv = r.allow_private ? 1 : 0;
      session_ << "INSERT OR REPLACE INTO customer_origins (space, origin, plugin_id, entry, "
                  "allow_private, approved_at, approved_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
          bind(r.space), bind(r.origin), bind(r.plugin_id), bind(r.entry), bind(priv),
          bind(r.approved_at_ms), bind(r.approved_by), now;
      return ok_status();
    });
  }

  Result<std::vector<CustomerOriginRow>> list_customer_origins(const std::string& space) override {
    std::vector<CustomerOriginRow> out;
    auto st = run("reading customer-managed origins", [&]() -> Status {
      std::vector<std::string> origins, plugins, entries, by;
      std::vector<int> priv;
      std::vector<int64_t> at;
      session_ << "SELECT origin, plugin_id, entry, allow_private, approved_at, approved_by FROM "
                  "customer_origins WHERE space = ? ORDER BY origin, plugin_id, entry",
          into(origins), into(plugins), into(entries), into(priv), into(at), into(by), bind(space),
          now;
      for (std::size_t i = 0; i < origins.size(); ++i) {
        out.push_back(CustomerOriginRow{space, origins[i], plugins[i], entries[i], priv[i] != 0,
                                        at[i], by[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status delete_customer_origins(const std::string& space) override {
    return run("removing customer-managed origins", [&]() -> Status {
      session_ << "DELETE FROM customer_origins WHERE space = ?", bind(space), now;
      return ok_status();
    });
  }

  // ---------------------------------------------------------- embed settings
  Result<std::vector<EmbedOriginRow>> list_embed_origins(const std::string& space) override {
    std::vector<EmbedOriginRow> out;
    auto st = run("reading embed origins", [&]() -> Status {
      std::vector<std::string> origins, by;
      std::vector<int64_t> at;
      session_ << "SELECT origin, added_at, added_by FROM embed_origins WHERE space = ? ORDER BY "
                  "origin",
          into(origins), into(at), into(by), bind(space), now;
      for (std::size_t i = 0; i < origins.size(); ++i) {
        out.push_back(EmbedOriginRow{space, origins[i], at[i], by[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status replace_embed_origins(const std::string& space,
                               const std::vector<EmbedOriginRow>& rows) override {
    return run("storing embed origins", [&]() -> Status {
      session_ << "DELETE FROM embed_origins WHERE space = ?", bind(space), now;
      for (const auto& r : rows) {
        session_ << "INSERT INTO embed_origins (space, origin, added_at, added_by) VALUES (?, ?, "
                    "?, ?)",
            bind(space), bind(r.origin), bind(r.added_at_ms), bind(r.added_by), now;
      }
      return ok_status();
    });
  }

  // ---------------------------------------------------------- warm schedules
  Result<std::vector<WarmScheduleRow>> select_warm_schedules(const std::string* space,
                                                             const int64_t* due_by) {
    std::vector<WarmScheduleRow> out;
    auto st = run("reading warming schedules", [&]() -> Status {
      std::vector<std::string> spaces, modes, holders, by;
      std::vector<int64_t> interval, due, started, finished, refreshed, failed, at;
      Statement stmt(session_);
      std::string sql =
          "SELECT space, mode, interval_s, next_due_at, last_started_at, last_finished_at, "
          "last_refreshed, last_failed, last_holder, updated_at, updated_by FROM warm_schedules";
      if (space) {
        sql += " WHERE space = ?";
      } else if (due_by) {
        sql += " WHERE mode <> 'off' AND next_due_at <= ? ORDER BY next_due_at, space";
      } else {
        sql += " ORDER BY space";
      }
      stmt << sql, into(spaces), into(modes), into(interval), into(due), into(started),
          into(finished), into(refreshed), into(failed), into(holders), into(at), into(by);
      if (space) stmt, bind(*space);
      if (due_by) stmt, bind(*due_by);
      stmt.execute();
      for (std::size_t i = 0; i < spaces.size(); ++i) {
        out.push_back(WarmScheduleRow{spaces[i], modes[i], interval[i], due[i], started[i],
                                      finished[i], refreshed[i], failed[i], holders[i], at[i],
                                      by[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Result<std::vector<WarmScheduleRow>> list_warm_schedules() override {
    return select_warm_schedules(nullptr, nullptr);
  }

  Result<WarmScheduleRow> get_warm_schedule(const std::string& space) override {
    auto rows = select_warm_schedules(&space, nullptr);
    if (!rows) return rows.error();
    if (rows->empty()) return not_found("warming schedule of space '" + space + "'");
    return rows->front();
  }

  Result<std::vector<WarmScheduleRow>> due_warm_schedules(int64_t now_ms) override {
    return select_warm_schedules(nullptr, &now_ms);
  }

  Status put_warm_schedule(const WarmScheduleRow& r) override {
    return run("storing a warming schedule", [&]() -> Status {
      session_ << "INSERT OR REPLACE INTO warm_schedules (space, mode, interval_s, next_due_at, "
                  "last_started_at, last_finished_at, last_refreshed, last_failed, last_holder, "
                  "updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          bind(r.space), bind(r.mode), bind(r.interval_s), bind(r.next_due_at_ms),
          bind(r.last_started_at_ms), bind(r.last_finished_at_ms), bind(r.last_refreshed),
          bind(r.last_failed), bind(r.last_holder), bind(r.updated_at_ms), bind(r.updated_by), now;
      return ok_status();
    });
  }

  Result<bool> claim_warm_schedule(const std::string& space, int64_t seen_due_ms,
                                   int64_t next_due_ms, const std::string& holder,
                                   int64_t now_ms) override {
    bool won = false;
    auto st = run("claiming a warming run", [&]() -> Status {
      Statement stmt(session_);
      stmt << "UPDATE warm_schedules SET next_due_at = ?, last_holder = ?, last_started_at = ? "
              "WHERE space = ? AND next_due_at = ? AND mode <> 'off'",
          bind(next_due_ms), bind(holder), bind(now_ms), bind(space), bind(seen_due_ms);
      won = stmt.execute() > 0;
      return ok_status();
    });
    if (!st) return st.error();
    return won;
  }

  Status finish_warm_schedule(const std::string& space, const std::string& holder,
                              int64_t finished_at_ms, int64_t refreshed, int64_t failed) override {
    return run("recording a warming run", [&]() -> Status {
      session_ << "UPDATE warm_schedules SET last_finished_at = ?, last_refreshed = ?, "
                  "last_failed = ? WHERE space = ? AND last_holder = ?",
          bind(finished_at_ms), bind(refreshed), bind(failed), bind(space), bind(holder), now;
      return ok_status();
    });
  }

  // ------------------------------------------------------------- share links
  Status insert_share_link(const ShareLinkRow& r) override {
    return run("creating a share link", [&]() -> Status {
      session_ << "INSERT INTO share_links (id, space, space_id, page, macro, expires_at, "
                  "created_at, created_by, revoked_at, revoked_by) VALUES (?, ?, ?, ?, ?, ?, ?, "
                  "?, 0, '')",
          bind(r.id), bind(r.space), bind(r.space_id), bind(r.page), bind(r.macro),
          bind(r.expires_at_ms), bind(r.created_at_ms), bind(r.created_by), now;
      return ok_status();
    });
  }

  Result<std::vector<ShareLinkRow>> select_share_links(const std::string* id,
                                                       const std::string* space) {
    std::vector<ShareLinkRow> out;
    auto st = run("reading share links", [&]() -> Status {
      std::vector<std::string> ids, spaces, space_ids, pages, by, revoked_by;
      std::vector<int64_t> macros, expires, at, revoked;
      Statement stmt(session_);
      stmt << std::string(
                  "SELECT id, space, space_id, page, macro, expires_at, created_at, created_by, "
                  "revoked_at, revoked_by FROM share_links") +
                  (id ? " WHERE id = ?" : " WHERE space = ? ORDER BY created_at, id"),
          into(ids), into(spaces), into(space_ids), into(pages), into(macros), into(expires),
          into(at), into(by), into(revoked), into(revoked_by);
      stmt, bind(id ? *id : *space);
      stmt.execute();
      for (std::size_t i = 0; i < ids.size(); ++i) {
        out.push_back(ShareLinkRow{ids[i], spaces[i], space_ids[i], pages[i], macros[i], expires[i],
                                   at[i], by[i], revoked[i], revoked_by[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Result<ShareLinkRow> get_share_link(const std::string& id) override {
    auto rows = select_share_links(&id, nullptr);
    if (!rows) return rows.error();
    if (rows->empty()) return not_found("share link '" + id + "'");
    return rows->front();
  }

  Result<std::vector<ShareLinkRow>> list_share_links(const std::string& space) override {
    return select_share_links(nullptr, &space);
  }

  Status revoke_share_link(const std::string& space, const std::string& id, int64_t at_ms,
                           const std::string& by) override {
    return run("revoking a share link", [&]() -> Status {
      Statement stmt(session_);
      stmt << "UPDATE share_links SET revoked_at = ?, revoked_by = ? WHERE id = ? AND space = ? "
              "AND revoked_at = 0",
          bind(at_ms), bind(by), bind(id), bind(space);
      if (stmt.execute() == 0) return not_found("active share link '" + id + "'");
      return ok_status();
    });
  }

  // -------------------------------------------------------------- sessions
  Status insert_session(const SessionRow& r) override {
    return run("creating a session", [&]() -> Status {
      session_ << "INSERT INTO sessions (id_hash, csrf, token_id, user_who, display_name, roles, "
                  "id_token_record, created_at, last_seen, flash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                  "?, ?)",
          bind(r.id_hash), bind(r.csrf), bind(r.token_id), bind(r.user_who), bind(r.display_name),
          bind(r.roles), bind(r.id_token_record), bind(r.created_at_ms), bind(r.last_seen_ms),
          bind(r.flash), now;
      return ok_status();
    });
  }

  Result<std::vector<SessionRow>> select_sessions(const std::string* id_hash) {
    std::vector<SessionRow> out;
    auto st = run("reading sessions", [&]() -> Status {
      std::vector<std::string> hashes, csrfs, tokens, whos, names, roles, records, flashes;
      std::vector<int64_t> created, seen;
      Statement stmt(session_);
      stmt << std::string(
                  "SELECT id_hash, csrf, token_id, user_who, display_name, roles, "
                  "id_token_record, created_at, last_seen, flash FROM sessions") +
                  (id_hash ? " WHERE id_hash = ?" : " ORDER BY created_at, id_hash"),
          into(hashes), into(csrfs), into(tokens), into(whos), into(names), into(roles),
          into(records), into(created), into(seen), into(flashes);
      if (id_hash) stmt, bind(*id_hash);
      stmt.execute();
      for (std::size_t i = 0; i < hashes.size(); ++i) {
        out.push_back(SessionRow{hashes[i], csrfs[i], tokens[i], whos[i], names[i], roles[i],
                                 records[i], created[i], seen[i], flashes[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Result<SessionRow> get_session(const std::string& id_hash) override {
    auto rows = select_sessions(&id_hash);
    if (!rows) return rows.error();
    if (rows->empty()) return not_found("session");
    return rows->front();
  }

  Result<std::vector<SessionRow>> list_sessions() override { return select_sessions(nullptr); }

  Result<int64_t> count_sessions() override {
    int64_t n = 0;
    auto st = run("counting sessions", [&]() -> Status {
      session_ << "SELECT COUNT(*) FROM sessions", into(n), now;
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  Status touch_session(const std::string& id_hash, int64_t at_ms) override {
    return run("recording a session's use", [&]() -> Status {
      session_ << "UPDATE sessions SET last_seen = ? WHERE id_hash = ?", bind(at_ms), bind(id_hash),
          now;
      return ok_status();
    });
  }

  Status set_session_flash(const std::string& id_hash, const std::string& flash) override {
    return run("storing a session's message", [&]() -> Status {
      Statement stmt(session_);
      stmt << "UPDATE sessions SET flash = ? WHERE id_hash = ?", bind(flash), bind(id_hash);
      if (stmt.execute() == 0) return not_found("session");
      return ok_status();
    });
  }

  // Read, then clear only if the message is still the one read: of two
  // hosts taking it at once, the second clears nothing and gets nothing.
  Result<std::string> take_session_flash(const std::string& id_hash) override {
    std::string out;
    auto st = run("taking a session's message", [&]() -> Status {
      std::vector<std::string> flashes;
      session_ << "SELECT flash FROM sessions WHERE id_hash = ?", into(flashes), bind(id_hash), now;
      if (flashes.empty() || flashes.front().empty()) return ok_status();
      Statement stmt(session_);
      stmt << "UPDATE sessions SET flash = '' WHERE id_hash = ? AND flash = ?", bind(id_hash),
          bind(flashes.front());
      if (stmt.execute() == 1) out = flashes.front();
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status delete_session(const std::string& id_hash) override {
    return run("deleting a session", [&]() -> Status {
      session_ << "DELETE FROM sessions WHERE id_hash = ?", bind(id_hash), now;
      return ok_status();
    });
  }

  Result<int64_t> delete_sessions_expired(int64_t idle_cutoff_ms,
                                          int64_t absolute_cutoff_ms) override {
    int64_t n = 0;
    auto st = run("deleting expired sessions", [&]() -> Status {
      Statement stmt(session_);
      stmt << "DELETE FROM sessions WHERE last_seen < ? OR created_at < ?", bind(idle_cutoff_ms),
          bind(absolute_cutoff_ms);
      n = static_cast<int64_t>(stmt.execute());
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  Result<int64_t> delete_sessions_beyond(int64_t keep) override {
    int64_t n = 0;
    auto st = run("deleting the oldest sessions", [&]() -> Status {
      Statement stmt(session_);
      stmt << "DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions ORDER BY "
              "last_seen DESC, id_hash LIMIT -1 OFFSET ?)",
          bind(keep);
      n = static_cast<int64_t>(stmt.execute());
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  // ----------------------------------------------------------- rate limits
  Result<RateLimitRow> get_rate_limit(const std::string& kind, const std::string& key) override {
    std::vector<RateLimitRow> rows;
    auto st = run("reading a rate limit", [&]() -> Status {
      rows = select_rate_limits(
          "SELECT kind, key, tokens, refilled_at, failures, not_before, "
          "touched_at FROM rate_limits WHERE kind = ? AND key = ?",
          &kind, &key);
      return ok_status();
    });
    if (!st) return st.error();
    if (rows.empty()) return not_found("rate limit '" + kind + "'");
    return rows.front();
  }

  Status put_rate_limit(const RateLimitRow& r) override {
    return run("writing a rate limit", [&]() -> Status {
      session_ << "INSERT OR REPLACE INTO rate_limits (kind, key, tokens, refilled_at, failures, "
                  "not_before, touched_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
          bind(r.kind), bind(r.key), bind(r.tokens), bind(r.refilled_at_ms), bind(r.failures),
          bind(r.not_before_ms), bind(r.touched_at_ms), now;
      return ok_status();
    });
  }

  Status delete_rate_limit(const std::string& kind, const std::string& key) override {
    return run("deleting a rate limit", [&]() -> Status {
      session_ << "DELETE FROM rate_limits WHERE kind = ? AND key = ?", bind(kind), bind(key), now;
      return ok_status();
    });
  }

  Result<int64_t> purge_rate_limits(const std::string& kind, int64_t touched_before_ms) override {
    int64_t n = 0;
    auto st = run("purging rate limits", [&]() -> Status {
      Statement stmt(session_);
      stmt << "DELETE FROM rate_limits WHERE touched_at < ? AND kind = ?", bind(touched_before_ms),
          bind(kind);
      n = static_cast<int64_t>(stmt.execute());
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  Result<std::vector<RateLimitRow>> list_rate_limits() override {
    std::vector<RateLimitRow> rows;
    auto st = run("listing rate limits", [&]() -> Status {
      rows = select_rate_limits(
          "SELECT kind, key, tokens, refilled_at, failures, not_before, "
          "touched_at FROM rate_limits ORDER BY kind, key",
          nullptr, nullptr);
      return ok_status();
    });
    if (!st) return st.error();
    return rows;
  }

  // The rows `sql` selects, with (kind, key) bound when given.
  std::vector<RateLimitRow> select_rate_limits(const std::string& sql, const std::string* kind,
                                               const std::string* key) {
    std::vector<std::string> kinds, keys;
    std::vector<double> tokens;
    std::vector<int64_t> refilled, failures, not_before, touched;
    Statement stmt(session_);
    stmt << sql, into(kinds), into(keys), into(tokens), into(refilled), into(failures),
        into(not_before), into(touched);
    if (kind != nullptr) stmt, bind(*kind), bind(*key);
    stmt.execute();
    std::vector<RateLimitRow> rows;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      rows.push_back(RateLimitRow{kinds[i], keys[i], tokens[i], refilled[i], failures[i],
                                  not_before[i], touched[i]});
    }
    return rows;
  }

  // --------------------------------------------------------------- secrets
  Status put_secret(const SecretRow& r) override {
    return run("storing a secret", [&]() -> Status {
      session_ << "INSERT OR REPLACE INTO secrets (space, name, origin, record, set_at, set_by) "
                  "VALUES (?, ?, ?, ?, ?, ?)",
          bind(r.space), bind(r.name), bind(r.origin), bind(r.record), bind(r.set_at_ms),
          bind(r.set_by), now;
      return ok_status();
    });
  }

  Result<SecretRow> get_secret(const std::string& space, const std::string& name) override {
    SecretRow row;
    bool found = false;
    auto st = run("reading a secret", [&]() -> Status {
      std::vector<std::string> origin, record, by;
      std::vector<int64_t> at;
      session_ << "SELECT origin, record, set_at, set_by FROM secrets WHERE space = ? AND name = "
                  "?",
          into(origin), into(record), into(at), into(by), bind(space), bind(name), now;
      if (!origin.empty()) {
        row = SecretRow{space, name, origin[0], record[0], at[0], by[0]};
        found = true;
      }
      return ok_status();
    });
    if (!st) return st.error();
    if (!found) return not_found("secret '" + name + "' of space '" + space + "'");
    return row;
  }

  Status delete_secret(const std::string& space, const std::string& name) override {
    return run("deleting a secret", [&]() -> Status {
      Statement stmt(session_);
      stmt << "DELETE FROM secrets WHERE space = ? AND name = ?", bind(space), bind(name);
      if (stmt.execute() == 0) return not_found("secret '" + name + "' of space '" + space + "'");
      return ok_status();
    });
  }

  // ------------------------------------------------------------- approvals
  Result<int64_t> insert_approval(const ApprovalRow& r) override {
    int64_t id = 0;
    auto st = run("recording a plugin approval", [&]() -> Status {
      session_ << "INSERT INTO plugin_approvals (plugin_id, version, permissions_json, "
                  "permissions_hash, approved_at, approved_by, manifest_sha256, library_sha256) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          bind(r.plugin_id), bind(r.version), bind(r.permissions_json), bind(r.permissions_hash),
          bind(r.approved_at_ms), bind(r.approved_by), bind(r.manifest_sha256),
          bind(r.library_sha256), now;
      session_ << "SELECT last_insert_rowid()", into(id), now;
      return ok_status();
    });
    if (!st) return st.error();
    return id;
  }

  Result<std::vector<ApprovalRow>> list_approvals(
      const std::optional<std::string>& plugin_id) override {
    std::vector<ApprovalRow> out;
    auto st = run("reading plugin approvals", [&]() -> Status {
      std::vector<int64_t> ids, at, wat;
      std::vector<std::string> plugins, versions, json, hash, by, msha, lsha, wby;
      Statement stmt(session_);
      stmt << std::string(
                  "SELECT id, plugin_id, version, permissions_json, permissions_hash, "
                  "approved_at, approved_by, manifest_sha256, library_sha256, withdrawn_at, "
                  "withdrawn_by FROM plugin_approvals") +
                  (plugin_id ? " WHERE plugin_id = ?" : "") + " ORDER BY id",
          into(ids), into(plugins), into(versions), into(json), into(hash), into(at), into(by),
          into(msha), into(lsha), into(wat), into(wby);
      if (plugin_id) stmt, bind(*plugin_id);
      stmt.execute();
      for (std::size_t i = 0; i < ids.size(); ++i) {
        out.push_back(ApprovalRow{ids[i], plugins[i], versions[i], json[i], hash[i], at[i], by[i],
                                  msha[i], lsha[i], wat[i], wby[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Result<int> withdraw_approvals(const std::string& plugin_id, int64_t at_ms,
                                 const std::string& who) override {
    int n = 0;
    auto st = run("withdrawing a plugin approval", [&]() -> Status {
      Statement stmt(session_);
      stmt << "UPDATE plugin_approvals SET withdrawn_at = ?, withdrawn_by = ? WHERE plugin_id = ? "
              "AND withdrawn_at = 0",
          bind(at_ms), bind(who), bind(plugin_id);
      n = static_cast<int>(stmt.execute());
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  Status set_enabled(const EnablementRow& r) override {
    return run("enabling a plugin", [&]() -> Status {
      session_ << "INSERT OR REPLACE INTO plugin_enablement (space, plugin_id, enabled_at, "
                  "enabled_by) VALUES (?, ?, ?, ?)",
          bind(r.space), bind(r.plugin_id), bind(r.enabled_at_ms), bind(r.enabled_by), now;
      return ok_status();
    });
  }

  Status delete_enabled(const std::string& space, const std::string& plugin_id) override {
    return run("disabling a plugin", [&]() -> Status {
      Statement stmt(session_);
      stmt << "DELETE FROM plugin_enablement WHERE space = ? AND plugin_id = ?", bind(space),
          bind(plugin_id);
      if (stmt.execute() == 0) {
        return not_found("plugin '" + plugin_id + "' is not enabled in space '" + space + "'");
      }
      return ok_status();
    });
  }

  Result<std::vector<EnablementRow>> list_enabled(const std::string& space) override {
    std::vector<EnablementRow> out;
    auto st = run("reading enabled plugins", [&]() -> Status {
      std::vector<std::string> plugins, by;
      std::vector<int64_t> at;
      session_ << "SELECT plugin_id, enabled_at, enabled_by FROM plugin_enablement WHERE space = "
                  "? ORDER BY plugin_id",
          into(plugins), into(at), into(by), bind(space), now;
      for (std::size_t i = 0; i < plugins.size(); ++i) {
        out.push_back(EnablementRow{space, plugins[i], at[i], by[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  // ----------------------------------------------------------------- cache
  Result<CacheRow> get_cache(const std::string& space, const std::string& plugin_id,
                             const std::string& key_hash) override {
    CacheRow row;
    bool found = false;
    auto st = run("reading the cache", [&]() -> Status {
      std::vector<std::string> record;
      std::vector<int64_t> size, fetched, fresh, stale, access;
      session_ << "SELECT record, size, fetched_at, fresh_until, stale_until, last_access FROM "
                  "cache_entries WHERE space = ? AND plugin_id = ? AND key_hash = ?",
          into(record), into(size), into(fetched), into(fresh), into(stale), into(access),
          bind(space), bind(plugin_id), bind(key_hash), now;
      if (!record.empty()) {
        row = CacheRow{space,      plugin_id, key_hash, record[0], size[0],
                       fetched[0], fresh[0],  stale[0], access[0]};
        found = true;
      }
      return ok_status();
    });
    if (!st) return st.error();
    if (!found) return not_found("cache entry");
    return row;
  }

  Status put_cache(const CacheRow& r) override {
    return run("writing the cache", [&]() -> Status {
      session_ << "INSERT OR REPLACE INTO cache_entries (space, plugin_id, key_hash, record, "
                  "size, fetched_at, fresh_until, stale_until, last_access) VALUES (?, ?, ?, ?, "
                  "?, ?, ?, ?, ?)",
          bind(r.space), bind(r.plugin_id), bind(r.key_hash), bind(r.record), bind(r.size),
          bind(r.fetched_at_ms), bind(r.fresh_until_ms), bind(r.stale_until_ms),
          bind(r.last_access_ms), now;
      return ok_status();
    });
  }

  Result<bool> take_render_lease(const std::string& space, const std::string& plugin_id,
                                 const std::string& key_hash, const std::string& holder,
                                 int64_t now_ms, int64_t expires_at_ms) override {
    bool held = false;
    auto st = run("taking a render lease", [&]() -> Status {
      Statement stmt(session_);
      stmt << "INSERT INTO render_leases (space, plugin_id, key_hash, holder, expires_at) VALUES "
              "(?, ?, ?, ?, ?) ON CONFLICT (space, plugin_id, key_hash) DO UPDATE SET holder = "
              "excluded.holder, expires_at = excluded.expires_at WHERE render_leases.expires_at "
              "<= ? OR render_leases.holder = excluded.holder",
          bind(space), bind(plugin_id), bind(key_hash), bind(holder), bind(expires_at_ms),
          bind(now_ms);
      held = stmt.execute() > 0;
      return ok_status();
    });
    if (!st) return st.error();
    return held;
  }

  Status release_render_lease(const std::string& space, const std::string& plugin_id,
                              const std::string& key_hash, const std::string& holder) override {
    return run("releasing a render lease", [&]() -> Status {
      session_ << "DELETE FROM render_leases WHERE space = ? AND plugin_id = ? AND key_hash = ? "
                  "AND holder = ?",
          bind(space), bind(plugin_id), bind(key_hash), bind(holder), now;
      return ok_status();
    });
  }

  Result<bool> take_upstream_flight(const std::string& space, const std::string& key_hash,
                                    const std::string& holder, int64_t now_ms,
                                    int64_t lease_until_ms, int64_t fresh_from_ms) override {
    bool held = false;
    auto st = run("taking an upstream request lease", [&]() -> Status {
      Statement stmt(session_);
      stmt << "INSERT INTO upstream_flights (space, key_hash, holder, lease_until) VALUES (?, ?, "
              "?, ?) ON CONFLICT (space, key_hash) DO UPDATE SET holder = excluded.holder, "
              "lease_until = excluded.lease_until, record = '', received_at = 0, kept_until = 0 "
              "WHERE (upstream_flights.record = '' AND upstream_flights.lease_until <= ?) OR "
              "(upstream_flights.record <> '' AND (upstream_flights.kept_until <= ? OR "
              "upstream_flights.received_at < ?))",
          bind(space), bind(key_hash), bind(holder), bind(lease_until_ms), bind(now_ms),
          bind(now_ms), bind(fresh_from_ms);
      held = stmt.execute() > 0;
      return ok_status();
    });
    if (!st) return st.error();
    return held;
  }

  Result<std::string> get_upstream_response(const std::string& space, const std::string& key_hash,
                                            int64_t now_ms, int64_t fresh_from_ms) override {
    std::string record;
    auto st = run("reading an upstream response", [&]() -> Status {
      std::vector<std::string> rows;
      session_ << "SELECT record FROM upstream_flights WHERE space = ? AND key_hash = ? AND "
                  "record <> '' AND kept_until > ? AND received_at >= ?",
          into(rows), bind(space), bind(key_hash), bind(now_ms), bind(fresh_from_ms), now;
      if (!rows.empty()) record = std::move(rows.front());
      return ok_status();
    });
    if (!st) return st.error();
    return record;
  }

  Status put_upstream_response(const std::string& space, const std::string& key_hash,
                               const std::string& holder, const std::string& record,
                               int64_t received_at_ms, int64_t kept_until_ms) override {
    return run("storing an upstream response", [&]() -> Status {
      session_ << "INSERT INTO upstream_flights (space, key_hash, holder, lease_until, record, "
                  "received_at, kept_until) VALUES (?, ?, ?, 0, ?, ?, ?) ON CONFLICT (space, "
                  "key_hash) DO UPDATE SET holder = excluded.holder, lease_until = 0, record = "
                  "excluded.record, received_at = excluded.received_at, kept_until = "
                  "excluded.kept_until",
          bind(space), bind(key_hash), bind(holder), bind(record), bind(received_at_ms),
          bind(kept_until_ms), now;
      return ok_status();
    });
  }

  Status release_upstream_flight(const std::string& space, const std::string& key_hash,
                                 const std::string& holder) override {
    return run("releasing an upstream request lease", [&]() -> Status {
      session_ << "DELETE FROM upstream_flights WHERE space = ? AND key_hash = ? AND holder = ? "
                  "AND record = ''",
          bind(space), bind(key_hash), bind(holder), now;
      return ok_status();
    });
  }

  Result<int64_t> purge_upstream_flights(int64_t now_ms) override {
    int64_t n = 0;
    auto st = run("purging upstream responses", [&]() -> Status {
      Statement stmt(session_);
      stmt << "DELETE FROM upstream_flights WHERE lease_until <= ? AND kept_until <= ?",
          bind(now_ms), bind(now_ms);
      n = static_cast<int64_t>(stmt.execute());
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  Status touch_cache(const std::string& space, const std::string& plugin_id,
                     const std::string& key_hash, int64_t at_ms) override {
    return run("updating the cache", [&]() -> Status {
      session_ << "UPDATE cache_entries SET last_access = ? WHERE space = ? AND plugin_id = ? "
                  "AND key_hash = ?",
          bind(at_ms), bind(space), bind(plugin_id), bind(key_hash), now;
      return ok_status();
    });
  }

  Status delete_cache(const std::string& space, const std::string& plugin_id,
                      const std::string& key_hash) override {
    return run("deleting a cache entry", [&]() -> Status {
      session_ << "DELETE FROM cache_entries WHERE space = ? AND plugin_id = ? AND key_hash = ?",
          bind(space), bind(plugin_id), bind(key_hash), now;
      return ok_status();
    });
  }

  Result<int64_t> cache_bytes(const std::string& space) override {
    int64_t total = 0;
    auto st = run("measuring the cache", [&]() -> Status {
      if (space.empty()) {
        session_ << "SELECT COALESCE(SUM(size), 0) FROM cache_entries", into(total), now;
      } else {
        session_ << "SELECT COALESCE(SUM(size), 0) FROM cache_entries WHERE space = ?", into(total),
            bind(space), now;
      }
      return ok_status();
    });
    if (!st) return st.error();
    return total;
  }

  Result<int64_t> evict_cache_lru(const std::string& space, int64_t max_bytes) override {
    int64_t evicted = 0;
    auto st = transaction([&]() -> Status {
      return run("evicting cache entries", [&]() -> Status {
        for (;;) {
          auto total = cache_bytes(space);
          if (!total) return total.error();
          if (*total <= max_bytes) return ok_status();
          Statement stmt(session_);
          if (space.empty()) {
            stmt << "DELETE FROM cache_entries WHERE rowid = (SELECT rowid FROM cache_entries "
                    "ORDER BY last_access, rowid LIMIT 1)";
          } else {
            stmt << "DELETE FROM cache_entries WHERE rowid = (SELECT rowid FROM cache_entries "
                    "WHERE space = ? ORDER BY last_access, rowid LIMIT 1)",
                bind(space);
          }
          if (stmt.execute() == 0) return ok_status();
          ++evicted;
        }
      });
    });
    if (!st) return st.error();
    return evicted;
  }

  Result<int64_t> delete_cache_expired(int64_t now_ms) override {
    int64_t n = 0;
    auto st = run("expiring cache entries", [&]() -> Status {
      Statement stmt(session_);
      stmt << "DELETE FROM cache_entries WHERE stale_until <= ?", bind(now_ms);
      n = static_cast<int64_t>(stmt.execute());
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  // ---------------------------------------------------------------- assets
  Status put_asset(const AssetRow& r) override {
    return run("storing an asset", [&]() -> Status {
      session_ << "INSERT OR IGNORE INTO assets (space, id, content_type, record, size, "
                  "created_at) VALUES (?, ?, ?, ?, ?, ?)",
          bind(r.space), bind(r.id), bind(r.content_type), bind(r.record), bind(r.size),
          bind(r.created_at_ms), now;
      return ok_status();
    });
  }

  Result<std::vector<AssetRow>> select_assets(const std::string& space, const std::string* id) {
    std::vector<AssetRow> out;
    auto st = run("reading assets", [&]() -> Status {
      std::vector<std::string> ids, types, records;
      std::vector<int64_t> sizes, at;
      Statement stmt(session_);
      stmt << std::string("SELECT id, content_type, ") + (id ? "record" : "''") +
                  ", size, created_at FROM assets WHERE space = ?" +
                  (id ? " AND id = ?" : " ORDER BY created_at, id"),
          into(ids), into(types), into(records), into(sizes), into(at), bind(space);
      if (id) stmt, bind(*id);
      stmt.execute();
      for (std::size_t i = 0; i < ids.size(); ++i) {
        out.push_back(AssetRow{space, ids[i], types[i], records[i], sizes[i], at[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Result<AssetRow> get_asset(const std::string& space, const std::string& id) override {
    auto rows = select_assets(space, &id);
    if (!rows) return rows.error();
    if (rows->empty()) return not_found("asset '" + id + "' in space '" + space + "'");
    return rows->front();
  }

  Result<std::vector<AssetRow>> list_assets(const std::string& space) override {
    return select_assets(space, nullptr);
  }

  Status delete_asset(const std::string& space, const std::string& id) override {
    return run("deleting an asset", [&]() -> Status {
      Statement stmt(session_);
      stmt << "DELETE FROM assets WHERE space = ? AND id = ?", bind(space), bind(id);
      if (stmt.execute() == 0) return not_found("asset '" + id + "' in space '" + space + "'");
      return ok_status();
    });
  }

  // ---------------------------------------------------------- admin tokens
  Status insert_admin_token(const AdminTokenRow& r) override {
    return run("creating an admin token", [&]() -> Status {
      session_ << "INSERT INTO admin_tokens (id, hash, role, created_at, created_by, revoked_at, "
                  "space_id, name, expires_at, last_used_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, 0)",
          bind(r.id), bind(r.hash), bind(r.role), bind(r.created_at_ms), bind(r.created_by),
          bind(r.space_id), bind(r.name), bind(r.expires_at_ms), now;
      return ok_status();
    });
  }

  Result<std::vector<AdminTokenRow>> select_tokens(const std::string* hash) {
    std::vector<AdminTokenRow> out;
    auto st = run("reading admin tokens", [&]() -> Status {
      std::vector<std::string> ids, hashes, roles, by, space_ids, names;
      std::vector<int64_t> at, revoked, expires, used;
      Statement stmt(session_);
      stmt << std::string(
                  "SELECT id, hash, role, created_at, created_by, revoked_at, space_id, name, "
                  "expires_at, last_used_at FROM admin_tokens") +
                  (hash ? " WHERE hash = ?" : " ORDER BY created_at, id"),
          into(ids), into(hashes), into(roles), into(at), into(by), into(revoked), into(space_ids),
          into(names), into(expires), into(used);
      if (hash) stmt, bind(*hash);
      stmt.execute();
      for (std::size_t i = 0; i < ids.size(); ++i) {
        out.push_back(AdminTokenRow{ids[i], hashes[i], roles[i], at[i], by[i], revoked[i],
                                    space_ids[i], names[i], expires[i], used[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Result<AdminTokenRow> find_admin_token_by_hash(const std::string& hash) override {
    auto rows = select_tokens(&hash);
    if (!rows) return rows.error();
    if (rows->empty()) return not_found("admin token");
    return rows->front();
  }

  Result<AdminTokenRow> find_admin_token_by_id(const std::string& id) override {
    AdminTokenRow row;
    bool found = false;
    auto st = run("reading an admin token", [&]() -> Status {
      std::vector<std::string> ids, hashes, roles, by, space_ids, names;
      std::vector<int64_t> at, revoked, expires, used;
      session_ << "SELECT id, hash, role, created_at, created_by, revoked_at, space_id, name, "
                  "expires_at, last_used_at FROM admin_tokens WHERE id = ?",
          into(ids), into(hashes), into(roles), into(at), into(by), into(revoked), into(space_ids),
          into(names), into(expires), into(used), bind(id), now;
      if (ids.empty()) return ok_status();
      found = true;
      row = AdminTokenRow{ids[0],     hashes[0],    roles[0], at[0],      by[0],
                          revoked[0], space_ids[0], names[0], expires[0], used[0]};
      return ok_status();
    });
    if (!st) return st.error();
    if (!found) return not_found("admin token '" + id + "'");
    return row;
  }

  Result<std::vector<AdminTokenRow>> list_admin_tokens() override { return select_tokens(nullptr); }

  Status revoke_admin_token(const std::string& id, int64_t at_ms) override {
    return run("revoking an admin token", [&]() -> Status {
      Statement stmt(session_);
      stmt << "UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0", bind(at_ms),
          bind(id);
      if (stmt.execute() == 0) return not_found("active admin token '" + id + "'");
      return ok_status();
    });
  }

  Status touch_admin_token(const std::string& id, int64_t at_ms) override {
    return run("recording an admin token's use", [&]() -> Status {
      session_ << "UPDATE admin_tokens SET last_used_at = ? WHERE id = ?", bind(at_ms), bind(id),
          now;
      return ok_status();
    });
  }

  // ----------------------------------------------------------------- users
  Status upsert_user(const UserRow& r) override {
    return run("recording a user's sign-in", [&]() -> Status {
      Statement stmt(session_);
      stmt << "UPDATE users SET name = ?, email = ?, last_login = ? WHERE issuer = ? AND "
              "subject = ?",
          bind(r.name), bind(r.email), bind(r.last_login_ms), bind(r.issuer), bind(r.subject);
      if (stmt.execute() > 0) return ok_status();
      session_ << "INSERT INTO users (issuer, subject, name, email, first_login, last_login) "
                  "VALUES (?, ?, ?, ?, ?, ?)",
          bind(r.issuer), bind(r.subject), bind(r.name), bind(r.email), bind(r.first_login_ms),
          bind(r.last_login_ms), now;
      return ok_status();
    });
  }

  Result<std::vector<UserRow>> list_users() override {
    std::vector<UserRow> out;
    auto st = run("reading users", [&]() -> Status {
      std::vector<std::string> issuers, subjects, names, emails;
      std::vector<int64_t> first, last;
      session_ << "SELECT issuer, subject, name, email, first_login, last_login FROM users "
                  "ORDER BY last_login DESC, issuer, subject",
          into(issuers), into(subjects), into(names), into(emails), into(first), into(last), now;
      for (std::size_t i = 0; i < issuers.size(); ++i) {
        out.push_back(UserRow{issuers[i], subjects[i], names[i], emails[i], first[i], last[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  // ----------------------------------------------------------------- audit
  Result<int64_t> append_audit(const AuditRow& r) override {
    int64_t id = 0;
    auto st = run("writing the audit log", [&]() -> Status {
      if (r.id != 0) {
        session_ << "INSERT INTO audit (id, at, who, space, action, subject, verdict, detail, "
                    "space_id, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            bind(r.id), bind(r.at_ms), bind(r.who), bind(r.space), bind(r.action), bind(r.subject),
            bind(r.verdict), bind(r.detail_json), bind(r.space_id), bind(r.chain), now;
      } else {
        session_ << "INSERT INTO audit (at, who, space, action, subject, verdict, detail, "
                    "space_id, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            bind(r.at_ms), bind(r.who), bind(r.space), bind(r.action), bind(r.subject),
            bind(r.verdict), bind(r.detail_json), bind(r.space_id), bind(r.chain), now;
      }
      session_ << "SELECT last_insert_rowid()", into(id), now;
      return ok_status();
    });
    if (!st) return st.error();
    return id;
  }

  Result<AuditChainState> audit_chain_state() override {
    AuditChainState out;
    auto st = run("reading the audit chain anchor", [&]() -> Status {
      session_ << "SELECT genesis_after_id, pruned_through_id, pruned_through_hash, pruned_rows "
                  "FROM audit_chain WHERE id = 1",
          into(out.genesis_after_id), into(out.pruned_through_id), into(out.pruned_through_hash),
          into(out.pruned_rows), now;
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Result<int64_t> next_audit_id() override {
    int64_t next = 0;
    auto st = run("reading the next audit id", [&]() -> Status {
      session_ << "SELECT MAX(COALESCE((SELECT MAX(id) FROM audit), 0), COALESCE((SELECT seq "
                  "FROM sqlite_sequence WHERE name = 'audit'), 0)) + 1",
          into(next), now;
      return ok_status();
    });
    if (!st) return st.error();
    return next;
  }

  Result<std::vector<AuditRow>> select_audit(const std::string& where, int64_t a, int64_t b) {
    std::vector<AuditRow> out;
    auto st = run("reading the audit log", [&]() -> Status {
      AuditColumns cols;
      Statement stmt(session_);
      stmt << kAuditColumns + where;
      cols.into_all(stmt);
      stmt, bind(a), bind(b);
      stmt.execute();
      cols.append_to(out);
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Result<std::vector<AuditRow>> audit_rows_after(int64_t after_id, int64_t limit) override {
    return select_audit("WHERE id > ? ORDER BY id LIMIT ?", after_id, limit);
  }

  Result<AuditRow> last_audit_row() override {
    auto rows = select_audit("WHERE id > ? ORDER BY id DESC LIMIT ?", 0, 1);
    if (!rows) return rows.error();
    if (rows->empty()) return AuditRow{};
    return rows->front();
  }

  Status prune_audit(int64_t through_id, const std::string& through_hash, int64_t rows) override {
    return run("pruning archived audit rows", [&]() -> Status {
      // The anchor first: the delete trigger lets through only rows up to it.
      session_ << "UPDATE audit_chain SET pruned_through_id = ?, pruned_through_hash = ?, "
                  "pruned_rows = pruned_rows + ?, pruned_at = CAST(strftime('%s','now') AS "
                  "INTEGER) * 1000 WHERE id = 1",
          bind(through_id), bind(through_hash), bind(rows), now;
      session_ << "DELETE FROM audit WHERE id <= ?", bind(through_id), now;
      return ok_status();
    });
  }

  Result<std::vector<AuditRow>> query_audit(const AuditQuery& q) override {
    std::vector<AuditRow> out;
    auto st = run("reading the audit log", [&]() -> Status {
      AuditColumns cols;
      std::string sql = std::string(kAuditColumns) + "WHERE at >= ?";
      if (q.space) sql += " AND space = ?";
      if (q.space_id) sql += " AND space_id = ?";
      if (q.action_prefix) sql += " AND substr(action, 1, ?) = ?";
      if (q.until_ms > 0) sql += " AND at < ?";
      if (q.who) sql += " AND who = ?";
      if (q.before_id > 0) sql += " AND id < ?";
      sql += q.newest_first ? " ORDER BY id DESC LIMIT ?" : " ORDER BY id LIMIT ?";
      Statement stmt(session_);
      stmt << sql;
      cols.into_all(stmt);
      stmt, bind(q.since_ms);
      if (q.space) stmt, bind(*q.space);
      if (q.space_id) stmt, bind(*q.space_id);
      if (q.action_prefix) {
        stmt, bind(static_cast<int64_t>(q.action_prefix->size())), bind(*q.action_prefix);
      }
      if (q.until_ms > 0) stmt, bind(q.until_ms);
      if (q.who) stmt, bind(*q.who);
      if (q.before_id > 0) stmt, bind(q.before_id);
      stmt, bind(q.limit);
      stmt.execute();
      cols.append_to(out);
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Result<int64_t> count_audit() override {
    int64_t n = 0;
    auto st = run("counting audit rows", [&]() -> Status {
      session_ << "SELECT COUNT(*) FROM audit", into(n), now;
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  // -------------------------------------------------------------- rotation
  Result<std::vector<EncryptedRef>> list_encrypted() override {
    std::vector<EncryptedRef> out;
    auto st = run("listing encrypted records", [&]() -> Status {
      struct Source {
        RecordTable table;
        const char* sql;
      };
      static const Source sources[] = {
          {RecordTable::secret, "SELECT space, name, origin, record FROM secrets"},
          {RecordTable::cache, "SELECT space, plugin_id, key_hash, record FROM cache_entries"},
          {RecordTable::asset, "SELECT space, id, content_type, record FROM assets"},
          {RecordTable::session,
           "SELECT '', 'sessions', id_hash, id_token_record FROM sessions WHERE id_token_record "
           "<> ''"},
      };
      for (const auto& src : sources) {
        std::vector<std::string> space, a, b, record;
        session_ << src.sql, into(space), into(a), into(b), into(record), now;
        for (std::size_t i = 0; i < space.size(); ++i) {
          out.push_back(EncryptedRef{src.table, space[i], a[i], b[i], record[i]});
        }
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status update_encrypted(const EncryptedRef& ref, const std::string& new_record) override {
    return run("re-wrapping a record", [&]() -> Status {
      Statement stmt(session_);
      switch (ref.table) {
        case RecordTable::secret:
          stmt << "UPDATE secrets SET record = ? WHERE space = ? AND name = ? AND origin = ? AND "
                  "record = ?";
          break;
        case RecordTable::cache:
          stmt << "UPDATE cache_entries SET record = ? WHERE space = ? AND plugin_id = ? AND "
                  "key_hash = ? AND record = ?";
          break;
        case RecordTable::asset:
          stmt << "UPDATE assets SET record = ? WHERE space = ? AND id = ? AND content_type = ? "
                  "AND record = ?";
          break;
        case RecordTable::session:
          // space and a are fixed for sessions ('' and 'sessions').
          stmt << "UPDATE sessions SET id_token_record = ? WHERE ? = '' AND ? = 'sessions' AND "
                  "id_hash = ? AND id_token_record = ?";
          break;
      }
      stmt, bind(new_record), bind(ref.space), bind(ref.a), bind(ref.b), bind(ref.record);
      if (stmt.execute() == 0) return not_found("record changed or removed during rotation");
      return ok_status();
    });
  }

  Status pin_approval_artifact(int64_t approval_id, const std::string& manifest_sha256,
                               const std::string& library_sha256) override {
    return run("pinning an approval to its artifact", [&]() -> Status {
      Statement stmt(session_);
      stmt << "UPDATE plugin_approvals SET manifest_sha256 = ?, library_sha256 = ? WHERE id = ? "
              "AND manifest_sha256 = ''",
          bind(manifest_sha256), bind(library_sha256), bind(approval_id);
      if (stmt.execute() == 0) return not_found("unpinned approval " + std::to_string(approval_id));
      return ok_status();
    });
  }

  // ---------------------------------------------------------- plugin store
  Status insert_artifact(const ArtifactRow& r) override {
    return run("recording an installed plugin", [&]() -> Status {
      try {
        session_ << "INSERT INTO plugin_artifacts (plugin_id, version, manifest_sha256, "
                    "library_sha256, manifest_path, signer, source, installed_at, installed_by) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            bind(r.plugin_id), bind(r.version), bind(r.manifest_sha256), bind(r.library_sha256),
            bind(r.manifest_path), bind(r.signer), bind(r.source), bind(r.installed_at_ms),
            bind(r.installed_by), now;
      } catch (const Poco::Data::SQLite::ConstraintViolationException&) {
        return make_error(Errc::conflict, "plugin '" + r.plugin_id + "' " + r.version +
                                              " with these exact bytes is already installed");
      }
      return ok_status();
    });
  }

  Result<std::vector<ArtifactRow>> list_artifacts() override {
    std::vector<ArtifactRow> out;
    auto st = run("reading installed plugins", [&]() -> Status {
      std::vector<std::string> ids, versions, msha, lsha, paths, signers, sources, by;
      std::vector<int64_t> at;
      session_ << "SELECT plugin_id, version, manifest_sha256, library_sha256, manifest_path, "
                  "signer, source, installed_at, installed_by FROM plugin_artifacts ORDER BY "
                  "plugin_id, installed_at",
          into(ids), into(versions), into(msha), into(lsha), into(paths), into(signers),
          into(sources), into(at), into(by), now;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        out.push_back(ArtifactRow{ids[i], versions[i], msha[i], lsha[i], paths[i], signers[i],
                                  sources[i], at[i], by[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status set_pin(const PinRow& r) override {
    return run("pinning a plugin version", [&]() -> Status {
      session_ << "INSERT OR REPLACE INTO plugin_pins (plugin_id, version, pinned_at, pinned_by) "
                  "VALUES (?, ?, ?, ?)",
          bind(r.plugin_id), bind(r.version), bind(r.pinned_at_ms), bind(r.pinned_by), now;
      return ok_status();
    });
  }

  Status delete_pin(const std::string& plugin_id) override {
    return run("unpinning a plugin version", [&]() -> Status {
      session_ << "DELETE FROM plugin_pins WHERE plugin_id = ?", bind(plugin_id), now;
      return ok_status();
    });
  }

  Result<std::vector<PinRow>> list_pins() override {
    std::vector<PinRow> out;
    auto st = run("reading plugin version pins", [&]() -> Status {
      std::vector<std::string> ids, versions, by;
      std::vector<int64_t> at;
      session_ << "SELECT plugin_id, version, pinned_at, pinned_by FROM plugin_pins ORDER BY "
                  "plugin_id",
          into(ids), into(versions), into(at), into(by), now;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        out.push_back(PinRow{ids[i], versions[i], at[i], by[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status insert_publisher(const PublisherRow& r) override {
    return run("trusting a publisher key", [&]() -> Status {
      try {
        session_ << "INSERT INTO trusted_publishers (name, public_key, added_at, added_by) "
                    "VALUES (?, ?, ?, ?)",
            bind(r.name), bind(r.public_key), bind(r.added_at_ms), bind(r.added_by), now;
      } catch (const Poco::Data::SQLite::ConstraintViolationException&) {
        return make_error(Errc::conflict, "publisher '" + r.name +
                                              "' or that key is already trusted; 'vitrine plugins "
                                              "trust list' shows them");
      }
      return ok_status();
    });
  }

  Status delete_publisher(const std::string& name) override {
    return run("removing a publisher key", [&]() -> Status {
      Statement stmt(session_);
      stmt << "DELETE FROM trusted_publishers WHERE name = ?", bind(name);
      if (stmt.execute() == 0) return not_found("trusted publisher '" + name + "'");
      return ok_status();
    });
  }

  Result<std::vector<PublisherRow>> list_publishers() override {
    std::vector<PublisherRow> out;
    auto st = run("reading trusted publishers", [&]() -> Status {
      std::vector<std::string> names, keys, by;
      std::vector<int64_t> at;
      session_ << "SELECT name, public_key, added_at, added_by FROM trusted_publishers ORDER BY "
                  "name",
          into(names), into(keys), into(at), into(by), now;
      for (std::size_t i = 0; i < names.size(); ++i) {
        out.push_back(PublisherRow{names[i], keys[i], at[i], by[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  // ----------------------------------------------- change feed, key checks
  Result<ChangeFeed> read_change_feed() override {
    ChangeFeed feed;
    auto st = run("reading the change feed", [&]() -> Status {
      session_ << "SELECT seq, keyring_generation, changed_at FROM change_feed WHERE id = 1",
          into(feed.seq), into(feed.keyring_generation), into(feed.changed_at_ms), now;
      return ok_status();
    });
    if (!st) return st.error();
    return feed;
  }

  Status bump_change_feed(bool keyring_changed, int64_t at_ms) override {
    return run("recording a change", [&]() -> Status {
      int k = keyring_changed ? 1 : 0;
      session_ << "UPDATE change_feed SET seq = seq + 1, keyring_generation = "
                  "keyring_generation + ?, changed_at = ? WHERE id = 1",
          bind(k), bind(at_ms), now;
      return ok_status();
    });
  }

  Result<std::vector<KeyCheckRow>> list_key_checks() override {
    std::vector<KeyCheckRow> out;
    auto st = run("reading key checks", [&]() -> Status {
      std::vector<std::string> ids, records;
      std::vector<int64_t> at;
      session_ << "SELECT key_id, record, created_at FROM key_checks ORDER BY key_id", into(ids),
          into(records), into(at), now;
      for (std::size_t i = 0; i < ids.size(); ++i) out.push_back({ids[i], records[i], at[i]});
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status put_key_check(const KeyCheckRow& r) override {
    return run("recording a key check", [&]() -> Status {
      session_ << "INSERT OR IGNORE INTO key_checks (key_id, record, created_at) VALUES (?, ?, ?)",
          bind(r.key_id), bind(r.record), bind(r.created_at_ms), now;
      return ok_status();
    });
  }

  Status delete_key_check(const std::string& key_id) override {
    return run("removing a key check", [&]() -> Status {
      session_ << "DELETE FROM key_checks WHERE key_id = ?", bind(key_id), now;
      return ok_status();
    });
  }

  Result<std::map<std::string, int64_t>> record_key_ids() override {
    std::map<std::string, int64_t> out;
    auto st = run("listing the keys records name", [&]() -> Status {
      // Records are "v1:<key_id>:<base64>" (crypto/secret_box.h).
      std::vector<std::string> ids;
      std::vector<int64_t> counts;
      session_ << "SELECT substr(record, 4, instr(substr(record, 4), ':') - 1) AS k, COUNT(*) "
                  "FROM (SELECT record FROM secrets UNION ALL SELECT record FROM cache_entries "
                  "UNION ALL SELECT record FROM assets UNION ALL SELECT id_token_record FROM "
                  "sessions WHERE id_token_record <> '') GROUP BY k ORDER BY k",
          into(ids), into(counts), now;
      for (std::size_t i = 0; i < ids.size(); ++i) out[ids[i]] = counts[i];
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Result<std::string> integrity_check() override {
    std::string result;
    auto st = run("checking integrity", [&]() -> Status {
      std::vector<std::string> rows;
      session_ << "PRAGMA integrity_check", into(rows), now;
      for (const auto& r : rows) result += (result.empty() ? "" : "\n") + r;
      return ok_status();
    });
    if (!st) return st.error();
    return result;
  }

  int schema_version() override { return version_; }

  Result<std::string> quick_check() override {
    std::string result;
    auto st = run("checking integrity (quick)", [&]() -> Status {
      std::vector<std::string> rows;
      session_ << "PRAGMA quick_check", into(rows), now;
      for (const auto& r : rows) result += (result.empty() ? "" : "\n") + r;
      return ok_status();
    });
    if (!st) return st.error();
    return result;
  }

  Result<std::vector<std::string>> foreign_key_check() override {
    std::vector<std::string> rows;
    auto st = run("checking foreign keys", [&]() -> Status {
      session_ << "SELECT \"table\" || ' row ' || COALESCE(rowid, '?') || ' refers to a missing "
                  "row of ' || parent FROM pragma_foreign_key_check",
          into(rows), now;
      return ok_status();
    });
    if (!st) return st.error();
    return rows;
  }

  Status ping() override {
    return run("reading the database", [&]() -> Status {
      int n = 0;
      // Reads a page of the file (not just the connection): a database that
      // became unreadable fails here.
      session_ << "SELECT COUNT(*) FROM schema_migrations", into(n), now;
      return ok_status();
    });
  }

 private:
  static Error not_found(const std::string& what) {
    return make_error(Errc::not_found, what + " not found");
  }

  template <class Fn>
  Status run(const std::string& what, Fn&& fn) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    const auto start = Clock::now();
    Status st = ok_status();
    try {
      st = fn();
    } catch (const Poco::Exception& e) {
      st = db_error(what, e, start);
    } catch (const std::exception& e) {
      st = db_error(what, std::string(e.what()));
    }
    if (depth_ == 0) maybe_checkpoint();
    return st;
  }

  // ------------------------------------------------------ locking, errors
  // Takes SQLite's write lock at once. The busy handler waits up to the
  // busy timeout; busy results that skip the handler (e.g. a WAL being
  // recovered by another process) are retried here until the same deadline.
  Status begin_immediate(const std::string& what, Clock::time_point start) {
    for (;;) {
      const int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK) return ok_status();
      if (cause_of_code(rc, 0) != Cause::busy || Clock::now() - start >= busy_timeout_) {
        return code_error(what, rc, start);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  Status commit(const std::string& what, Clock::time_point start) {
    const int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return ok_status();
    Error e = code_error(what, rc, start);
    rollback_open();
    return e;
  }

  // Rolls back the open transaction, if any: SQLite itself may already have
  // rolled it back (e.g. on SQLITE_FULL).
  void rollback_open() {
    if (sqlite3_get_autocommit(db_) == 0) {
      (void)sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }

  // SQLite's own busy handler (busy_timeout) backs off to 100 ms sleeps; a
  // process that writes continuously (the server under load) then takes the
  // lock again before the waiter looks, and the waiter runs out of time.
  // Polling every 1 to 4 ms until the deadline gives every writer its turn.
  static int on_busy(void* self_ptr, int count) {
    auto* self = static_cast<SqliteBackend*>(self_ptr);
    const auto now = Clock::now();
    if (count == 0) self->busy_since_ = now;
    if (self->no_wait_ || now - self->busy_since_ >= self->busy_timeout_) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + std::min(count / 16, 3)));
    return 1;
  }

  static int on_wal_commit(void* self_ptr, sqlite3*, const char*, int pages) {
    static_cast<SqliteBackend*>(self_ptr)->wal_pages_ = pages;
    return SQLITE_OK;
  }

  // Copies the WAL into the database and truncates it (see kCheckpointPages).
  // Never waits for other processes: when one is reading or writing, the
  // pages that can be copied are, and the truncation is retried later.
  void maybe_checkpoint() {
    if (wal_pages_ == 0 || sqlite3_get_autocommit(db_) == 0) return;
    const auto now = Clock::now();
    const bool due =
        wal_pages_ >= kCheckpointPages || now - last_checkpoint_ >= kCheckpointInterval;
    if (!due || now < checkpoint_retry_at_) return;
    last_checkpoint_ = now;
    no_wait_ = true;
    int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    if (rc == SQLITE_OK) {
      wal_pages_ = 0;
    } else {
      // Busy (another process reads or writes) or no room to grow the
      // database file: copy what can be copied, try again a little later.
      (void)sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      checkpoint_retry_at_ = now + kCheckpointRetry;
    }
    no_wait_ = false;
  }

  Error db_error(const std::string& what, const Poco::Exception& e, Clock::time_point start) {
    return cause_error(what, cause_of(e, sqlite3_system_errno(db_)), e.displayText(),
                       Clock::now() - start);
  }

  Error db_error(const std::string& what, const std::string& detail) {
    return cause_error(what, cause_of_text(detail), detail, busy_timeout_);
  }

  Error code_error(const std::string& what, int rc, Clock::time_point start) {
    return cause_error(what, cause_of_code(rc, sqlite3_system_errno(db_)), sqlite3_errstr(rc),
                       Clock::now() - start);
  }

  Error cause_error(const std::string& what, Cause cause, const std::string& detail,
                    Clock::duration waited) {
    const std::string dir = data_dir_.string();
    switch (cause) {
      case Cause::full:
        return make_error(Errc::io, "the disk holding the data directory " + dir +
                                        " is full: " + what + " failed (" + detail +
                                        ") and nothing was written; free space on that file "
                                        "system, then retry (no restart needed)");
      case Cause::busy:
        return make_error(
            Errc::io, std::string(kBusyPrefix) + ": another process has held the write lock for " +
                          seconds_text(waited) + " (" + lock_holder() + ") while " + what +
                          "; nothing was written. Retry when it is done; "
                          "'fuser " +
                          db_path_.string() + "' lists the processes that have the database open");
      case Cause::no_write:
        return make_error(Errc::io, "cannot write the database " + db_path_.string() + " while " +
                                        what + ": " + detail +
                                        "; make the data directory (0700) and its files (0600) "
                                        "writable by the user running vitrine, on a writable "
                                        "file system");
      case Cause::damaged:
        return make_error(Errc::io, "the database " + db_path_.string() + " is damaged (" + detail +
                                        ") while " + what +
                                        "; stop vitrine and restore the data directory from a "
                                        "backup");
      case Cause::other:
        break;
    }
    return make_error(Errc::io, "database error while " + what + ": " + detail);
  }

  // Who most likely holds the write lock, from the server's lock file
  // (store/data_dir_lock.h).
  std::string lock_holder() const {
    const auto pid = serve_lock_holder(data_dir_);
    if (pid && *pid == static_cast<long>(::getpid())) {
      return "a vitrine command or tool beside this server, pid " + std::to_string(*pid) +
             ", which holds the data-dir lock";
    }
    if (pid) return "vitrine serve, pid " + std::to_string(*pid) + " holds the data-dir lock";
    return "no vitrine serve holds the data-dir lock: another vitrine command or a tool such "
           "as sqlite3";
  }

  std::recursive_mutex mu_;
  Session session_;
  sqlite3* db_;  // session_'s connection, for what Poco does not offer
  std::filesystem::path db_path_;
  std::filesystem::path data_dir_;
  Clock::duration busy_timeout_;
  Clock::time_point busy_since_{};
  bool no_wait_ = false;
  int wal_pages_ = 0;
  Clock::time_point last_checkpoint_ = Clock::now();
  Clock::time_point checkpoint_retry_at_{};
  int depth_ = 0;
  int version_ = 0;

 public:
  // ---------------------------------------------------------------- backup
  // SQLite's online backup API, a few hundred pages per step. One explicit
  // read transaction on this connection pins a single WAL snapshot for all
  // steps: a writer in another process (the server) neither waits for the
  // copy (WAL readers never block writers) nor makes it restart, and the
  // copy is the database exactly as of the moment that transaction began.
  Status backup_database_to(const std::filesystem::path& dest,
                            const std::function<void(int64_t, int64_t)>& progress) override {
    constexpr int kPagesPerStep = 256;
    constexpr int kMaxBusyRetries = 1000;  // x 10 ms
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (depth_ > 0) return make_error(Errc::invalid, "a backup cannot run inside a transaction");
    // Created here with mode 0600 and O_EXCL: never overwrites, never readable by others.
    int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return make_error(Errc::io, "cannot create " + dest.string() + ": " + std::strerror(errno));
    }
    ::close(fd);
    sqlite3* src = nullptr;
    try {
      src = Poco::Data::SQLite::Utility::dbHandle(session_);
    } catch (const Poco::Exception& e) {
      return db_error("starting a backup", e.displayText());
    }
    sqlite3* dst = nullptr;
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> dst_guard(nullptr, sqlite3_close);
    if (sqlite3_open_v2(dest.c_str(), &dst, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      std::string msg = dst ? sqlite3_errmsg(dst) : "out of memory";
      sqlite3_close(dst);
      return db_error("opening the backup copy " + dest.string(), msg);
    }
    dst_guard.reset(dst);
    if (sqlite3_exec(src, "BEGIN; SELECT COUNT(*) FROM sqlite_master", nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
      std::string msg = sqlite3_errmsg(src);
      if (sqlite3_get_autocommit(src) == 0)
        sqlite3_exec(src, "ROLLBACK", nullptr, nullptr, nullptr);
      return db_error("starting the backup snapshot", msg);
    }
    int rc = SQLITE_OK;
    int finish = SQLITE_OK;
    sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == nullptr) {
      rc = sqlite3_errcode(dst);
    } else {
      for (int busy = 0;;) {
        rc = sqlite3_backup_step(b, kPagesPerStep);
        if (rc == SQLITE_OK || rc == SQLITE_DONE) {
          if (progress) {
            int64_t total = sqlite3_backup_pagecount(b);
            progress(total - sqlite3_backup_remaining(b), total);
          }
          if (rc == SQLITE_DONE) break;
        } else if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++busy < kMaxBusyRetries) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        } else {
          break;
        }
      }
      finish = sqlite3_backup_finish(b);
    }
    // Read-only: ROLLBACK ends the snapshot without writing anything.
    sqlite3_exec(src, "ROLLBACK", nullptr, nullptr, nullptr);
    if (rc != SQLITE_DONE || finish != SQLITE_OK) {
      return db_error("copying the database",
                      std::string(sqlite3_errstr(rc != SQLITE_DONE ? rc : finish)));
    }
    // One self-contained file: the copy keeps no -wal file beside it.
    if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return db_error("finishing the backup copy", sqlite3_errmsg(dst));
    }
    if (sqlite3_close(dst_guard.release()) != SQLITE_OK) {
      return db_error("closing the backup copy", "close failed");
    }
    return ok_status();
  }
};

}  // namespace

void set_busy_timeout(std::chrono::milliseconds timeout) {
  g_busy_timeout_ms.store(timeout.count());
}

std::chrono::milliseconds busy_timeout() {
  return std::chrono::milliseconds(g_busy_timeout_ms.load());
}

bool is_busy_error(const Error& e) {
  return e.code == Errc::io && e.message.rfind(kBusyPrefix, 0) == 0;
}

Result<std::unique_ptr<Backend>> open_sqlite_backend(const std::filesystem::path& db_path) {
  static std::once_flag registered;
  std::call_once(registered, [] { Poco::Data::SQLite::Connector::registerConnector(); });
  std::unique_ptr<SqliteBackend> backend;
  try {
    backend = std::make_unique<SqliteBackend>(db_path);
  } catch (const Poco::Exception& e) {
    return make_error(Errc::io, "cannot open database " + db_path.string() + ": " +
                                    e.displayText() +
                                    "; check the --data-dir path and its "
                                    "permissions");
  }
  ::chmod(db_path.c_str(), 0600);
  auto st = backend->init();
  if (!st) return st.error();
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace vitrine::store
