// SQLite implementation of store::Backend through Poco::Data. Every query of
// a per-space table carries `space = ?` (P6). The session is not
// thread-safe, so one recursive mutex serializes all calls; a transaction()
// holds it for its whole duration, and nested calls join the transaction.
#include "store/sqlite/sqlite_backend.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <sys/stat.h>

#include <mutex>

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
  };
  return m;
}

Error db_error(const std::string& what, const std::string& detail) {
  return make_error(Errc::io, "database error while " + what + ": " + detail +
                                  " (check disk space and permissions of the data directory)");
}

class SqliteBackend final : public Backend {
 public:
  explicit SqliteBackend(const std::string& path) : session_("SQLite", path) {}

  Status init() {
    return run("opening the database", [&]() -> Status {
      std::string mode;
      session_ << "PRAGMA journal_mode=WAL", into(mode), now;
      if (mode != "wal") {
        return make_error(Errc::io, "the database refused WAL mode (got '" + mode +
                                        "'); put the data directory on a local file system");
      }
      int timeout = 0;
      session_ << "PRAGMA busy_timeout=5000", into(timeout), now;
      session_ << "PRAGMA foreign_keys=ON", now;
      session_ << "PRAGMA synchronous=FULL", now;
      session_ << "PRAGMA secure_delete=ON", now;
      session_ << "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                  "applied_at INTEGER NOT NULL)",
          now;
      int current = 0;
      session_ << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", into(current), now;
      const auto& all = migrations();
      if (current > static_cast<int>(all.size())) {
        return make_error(Errc::io, "the database has schema version " + std::to_string(current) +
                                        ", newer than this vitrine (" + std::to_string(all.size()) +
                                        "); upgrade vitrine");
      }
      for (std::size_t v = static_cast<std::size_t>(current); v < all.size(); ++v) {
        session_.begin();
        try {
          for (const auto& sql : all[v]) session_ << sql, now;
          int version = static_cast<int>(v + 1);
          session_ << "INSERT INTO schema_migrations (version, applied_at) VALUES (?, "
                      "CAST(strftime('%s','now') AS INTEGER) * 1000)",
              bind(version), now;
          session_.commit();
        } catch (...) {
          session_.rollback();
          throw;
        }
      }
      version_ = static_cast<int>(all.size());
      return ok_status();
    });
  }

  Status transaction(const std::function<Status()>& fn) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (depth_ > 0) return fn();
    try {
      session_.begin();
    } catch (const Poco::Exception& e) {
      return db_error("starting a transaction", e.displayText());
    }
    ++depth_;
    Status st = ok_status();
    try {
      st = fn();
    } catch (const std::exception& e) {
      st = db_error("running a transaction", e.what());
    }
    --depth_;
    try {
      if (st.ok()) {
        session_.commit();
      } else {
        session_.rollback();
      }
    } catch (const Poco::Exception& e) {
      return db_error("committing a transaction", e.displayText());
    }
    return st;
  }

  // ---------------------------------------------------------------- spaces
  Status insert_space(const SpaceRow& r) override {
    return run("creating a space", [&]() -> Status {
      try {
        session_ << "INSERT INTO spaces (key, display_name, created_at, created_by) VALUES (?, "
                    "?, ?, ?)",
            bind(r.key), bind(r.display_name), bind(r.created_at_ms), bind(r.created_by), now;
      } catch (const Poco::Data::SQLite::ConstraintViolationException&) {
        return make_error(Errc::conflict, "space '" + r.key + "' already exists");
      }
      return ok_status();
    });
  }

  Result<std::vector<SpaceRow>> select_spaces(const std::string* key) {
    std::vector<SpaceRow> out;
    auto st = run("reading spaces", [&]() -> Status {
      std::vector<std::string> keys, names, by, origins, cby;
      std::vector<int64_t> at, cat;
      std::vector<int> priv;
      std::string sql =
          "SELECT key, display_name, created_at, created_by, grafana_origin, "
          "grafana_allow_private, connected_at, connected_by FROM spaces";
      Statement stmt(session_);
      stmt << sql + (key ? " WHERE key = ?" : " ORDER BY key"), into(keys), into(names), into(at),
          into(by), into(origins), into(priv), into(cat), into(cby);
      if (key) stmt, bind(*key);
      stmt.execute();
      for (std::size_t i = 0; i < keys.size(); ++i) {
        out.push_back(
            SpaceRow{keys[i], names[i], at[i], by[i], origins[i], priv[i] != 0, cat[i], cby[i]});
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
                  "permissions_hash, approved_at, approved_by) VALUES (?, ?, ?, ?, ?, ?)",
          bind(r.plugin_id), bind(r.version), bind(r.permissions_json), bind(r.permissions_hash),
          bind(r.approved_at_ms), bind(r.approved_by), now;
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
      std::vector<int64_t> ids, at;
      std::vector<std::string> plugins, versions, json, hash, by;
      Statement stmt(session_);
      stmt << std::string(
                  "SELECT id, plugin_id, version, permissions_json, permissions_hash, "
                  "approved_at, approved_by FROM plugin_approvals") +
                  (plugin_id ? " WHERE plugin_id = ?" : "") + " ORDER BY id",
          into(ids), into(plugins), into(versions), into(json), into(hash), into(at), into(by);
      if (plugin_id) stmt, bind(*plugin_id);
      stmt.execute();
      for (std::size_t i = 0; i < ids.size(); ++i) {
        out.push_back(ApprovalRow{ids[i], plugins[i], versions[i], json[i], hash[i], at[i], by[i]});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
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
      session_ << "INSERT INTO admin_tokens (id, hash, role, created_at, created_by, revoked_at) "
                  "VALUES (?, ?, ?, ?, ?, 0)",
          bind(r.id), bind(r.hash), bind(r.role), bind(r.created_at_ms), bind(r.created_by), now;
      return ok_status();
    });
  }

  Result<std::vector<AdminTokenRow>> select_tokens(const std::string* hash) {
    std::vector<AdminTokenRow> out;
    auto st = run("reading admin tokens", [&]() -> Status {
      std::vector<std::string> ids, hashes, roles, by;
      std::vector<int64_t> at, revoked;
      Statement stmt(session_);
      stmt << std::string(
                  "SELECT id, hash, role, created_at, created_by, revoked_at FROM "
                  "admin_tokens") +
                  (hash ? " WHERE hash = ?" : " ORDER BY created_at, id"),
          into(ids), into(hashes), into(roles), into(at), into(by), into(revoked);
      if (hash) stmt, bind(*hash);
      stmt.execute();
      for (std::size_t i = 0; i < ids.size(); ++i) {
        out.push_back(AdminTokenRow{ids[i], hashes[i], roles[i], at[i], by[i], revoked[i]});
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

  // ----------------------------------------------------------------- audit
  Result<int64_t> append_audit(const AuditRow& r) override {
    int64_t id = 0;
    auto st = run("writing the audit log", [&]() -> Status {
      session_ << "INSERT INTO audit (at, who, space, action, subject, verdict, detail) VALUES "
                  "(?, ?, ?, ?, ?, ?, ?)",
          bind(r.at_ms), bind(r.who), bind(r.space), bind(r.action), bind(r.subject),
          bind(r.verdict), bind(r.detail_json), now;
      session_ << "SELECT last_insert_rowid()", into(id), now;
      return ok_status();
    });
    if (!st) return st.error();
    return id;
  }

  Result<std::vector<AuditRow>> query_audit(const AuditQuery& q) override {
    std::vector<AuditRow> out;
    auto st = run("reading the audit log", [&]() -> Status {
      std::vector<int64_t> ids, at;
      std::vector<std::string> who, space, action, subject, verdict, detail;
      std::string sql =
          "SELECT id, at, who, space, action, subject, verdict, detail FROM audit WHERE at >= ?";
      if (q.space) sql += " AND space = ?";
      if (q.action_prefix) sql += " AND substr(action, 1, ?) = ?";
      sql += " ORDER BY id LIMIT ?";
      Statement stmt(session_);
      stmt << sql, into(ids), into(at), into(who), into(space), into(action), into(subject),
          into(verdict), into(detail), bind(q.since_ms);
      if (q.space) stmt, bind(*q.space);
      if (q.action_prefix) {
        stmt, bind(static_cast<int64_t>(q.action_prefix->size())), bind(*q.action_prefix);
      }
      stmt, bind(q.limit);
      stmt.execute();
      for (std::size_t i = 0; i < ids.size(); ++i) {
        out.push_back(AuditRow{ids[i], at[i], who[i], space[i], action[i], subject[i], verdict[i],
                               detail[i]});
      }
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
      }
      stmt, bind(new_record), bind(ref.space), bind(ref.a), bind(ref.b), bind(ref.record);
      if (stmt.execute() == 0) return not_found("record changed or removed during rotation");
      return ok_status();
    });
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

 private:
  static Error not_found(const std::string& what) {
    return make_error(Errc::not_found, what + " not found");
  }

  template <class Fn>
  Status run(const std::string& what, Fn&& fn) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    try {
      return fn();
    } catch (const Poco::Exception& e) {
      return db_error(what, e.displayText());
    } catch (const std::exception& e) {
      return db_error(what, e.what());
    }
  }

  std::recursive_mutex mu_;
  Session session_;
  int depth_ = 0;
  int version_ = 0;
};

}  // namespace

Result<std::unique_ptr<Backend>> open_sqlite_backend(const std::filesystem::path& db_path) {
  static std::once_flag registered;
  std::call_once(registered, [] { Poco::Data::SQLite::Connector::registerConnector(); });
  std::unique_ptr<SqliteBackend> backend;
  try {
    backend = std::make_unique<SqliteBackend>(db_path.string());
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
