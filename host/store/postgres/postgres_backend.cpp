// PostgreSQL implementation of store::Backend through libpq (see
// postgres_backend.h for why libpq and which semantics it keeps). One
// connection per backend; one recursive mutex serializes its calls, a
// transaction() holds it for its whole duration and nested calls join it.
#include "store/postgres/postgres_backend.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "store/crypto/private_file.h"
#include "store/sqlite/sqlite_backend.h"

namespace vitrine::store {
namespace {

// The cluster-wide write lock every transaction() takes (an arbitrary
// constant: "vitrine" on a phone keypad).
constexpr const char* kWriteLockKey = "8487463";
// transaction_on() locks keys in this namespace (the two-int advisory lock
// form, first int), so no key's lock is ever the write lock above.
constexpr const char* kKeyLockSpace = "8487464";

// The channel every change feed bump is announced on (NOTIFY), and the
// application_name of the connection that LISTENs to it, so an operator
// tells it from the store's own connection in pg_stat_activity.
constexpr const char* kChangeChannel = "vitrine_change_feed";
constexpr const char* kListenApplicationName = "vitrine-listen";
// A lost listen connection is opened again at most this often: while
// PostgreSQL is down every wait would otherwise spend its slice connecting.
constexpr auto kListenRetry = std::chrono::seconds(1);

// Versioned migrations: each entry is one schema version, applied in one
// transaction. Version 1 is the SQLite schema as of its migration 5, in
// PostgreSQL's types. Never edit a released entry; append a new one.
const std::vector<std::vector<std::string>>& migrations() {
  static const std::vector<std::vector<std::string>> m = {
      {
          "CREATE TABLE spaces (key TEXT PRIMARY KEY, display_name TEXT NOT NULL, "
          "created_at BIGINT NOT NULL, created_by TEXT NOT NULL, grafana_origin TEXT NOT NULL "
          "DEFAULT '', grafana_allow_private INTEGER NOT NULL DEFAULT 0, connected_at BIGINT NOT "
          "NULL DEFAULT 0, connected_by TEXT NOT NULL DEFAULT '', id TEXT NOT NULL UNIQUE)",
          "CREATE TABLE customer_origins (space TEXT NOT NULL REFERENCES spaces(key) ON DELETE "
          "CASCADE, origin TEXT NOT NULL, plugin_id TEXT NOT NULL, entry TEXT NOT NULL, "
          "allow_private INTEGER NOT NULL, approved_at BIGINT NOT NULL, approved_by TEXT NOT "
          "NULL, PRIMARY KEY (space, origin, plugin_id, entry))",
          "CREATE TABLE secrets (space TEXT NOT NULL REFERENCES spaces(key) ON DELETE CASCADE, "
          "name TEXT NOT NULL, origin TEXT NOT NULL, record TEXT NOT NULL, set_at BIGINT NOT "
          "NULL, set_by TEXT NOT NULL, PRIMARY KEY (space, name))",
          "CREATE TABLE plugin_approvals (id BIGSERIAL PRIMARY KEY, plugin_id TEXT NOT NULL, "
          "version TEXT NOT NULL, permissions_json TEXT NOT NULL, permissions_hash TEXT NOT "
          "NULL, approved_at BIGINT NOT NULL, approved_by TEXT NOT NULL, manifest_sha256 TEXT "
          "NOT NULL DEFAULT '', library_sha256 TEXT NOT NULL DEFAULT '')",
          "CREATE INDEX plugin_approvals_plugin ON plugin_approvals(plugin_id, id)",
          "CREATE TABLE plugin_enablement (space TEXT NOT NULL REFERENCES spaces(key) ON DELETE "
          "CASCADE, plugin_id TEXT NOT NULL, enabled_at BIGINT NOT NULL, enabled_by TEXT NOT "
          "NULL, PRIMARY KEY (space, plugin_id))",
          // `ord` orders rows of equal last_access by when they were written
          // (SQLite's rowid): a replaced entry counts as the newest.
          "CREATE TABLE cache_entries (space TEXT NOT NULL REFERENCES spaces(key) ON DELETE "
          "CASCADE, plugin_id TEXT NOT NULL, key_hash TEXT NOT NULL, record TEXT NOT NULL, "
          "size BIGINT NOT NULL, fetched_at BIGINT NOT NULL, fresh_until BIGINT NOT NULL, "
          "stale_until BIGINT NOT NULL, last_access BIGINT NOT NULL, ord BIGSERIAL NOT NULL, "
          "PRIMARY KEY (space, plugin_id, key_hash))",
          "CREATE INDEX cache_lru ON cache_entries(space, last_access)",
          "CREATE TABLE assets (space TEXT NOT NULL REFERENCES spaces(key) ON DELETE CASCADE, "
          "id TEXT NOT NULL, content_type TEXT NOT NULL, record TEXT NOT NULL, size BIGINT NOT "
          "NULL, created_at BIGINT NOT NULL, PRIMARY KEY (space, id))",
          "CREATE TABLE admin_tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, role TEXT "
          "NOT NULL, created_at BIGINT NOT NULL, created_by TEXT NOT NULL, revoked_at BIGINT NOT "
          "NULL DEFAULT 0, space_id TEXT NOT NULL DEFAULT '')",
          "CREATE TABLE audit (id BIGINT PRIMARY KEY, at BIGINT NOT NULL, who TEXT NOT NULL, "
          "space TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL, verdict TEXT NOT "
          "NULL, detail TEXT NOT NULL, space_id TEXT NOT NULL DEFAULT '', chain TEXT NOT NULL "
          "DEFAULT '')",
          "CREATE INDEX audit_space_at ON audit(space, at)",
          "CREATE INDEX audit_space_id_at ON audit(space_id, at)",
          "CREATE TABLE change_feed (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, "
          "keyring_generation BIGINT NOT NULL, changed_at BIGINT NOT NULL)",
          "INSERT INTO change_feed (id, seq, keyring_generation, changed_at) VALUES (1, 0, 0, 0)",
          "CREATE TABLE key_checks (key_id TEXT PRIMARY KEY, record TEXT NOT NULL, created_at "
          "BIGINT NOT NULL)",
          "CREATE TABLE plugin_artifacts (plugin_id TEXT NOT NULL, version TEXT NOT NULL, "
          "manifest_sha256 TEXT NOT NULL, library_sha256 TEXT NOT NULL, manifest_path TEXT NOT "
          "NULL, signer TEXT NOT NULL, source TEXT NOT NULL, installed_at BIGINT NOT NULL, "
          "installed_by TEXT NOT NULL, PRIMARY KEY (plugin_id, manifest_sha256, library_sha256))",
          "CREATE TABLE plugin_pins (plugin_id TEXT PRIMARY KEY, version TEXT NOT NULL, "
          "pinned_at BIGINT NOT NULL, pinned_by TEXT NOT NULL)",
          "CREATE TABLE trusted_publishers (name TEXT PRIMARY KEY, public_key TEXT NOT NULL "
          "UNIQUE, added_at BIGINT NOT NULL, added_by TEXT NOT NULL)",
          // The audit chain anchor (store/audit_chain.h). The genesis may be
          // set while the audit table is empty (`vitrine store migrate` carries
          // it over); afterwards the anchor only moves forward.
          "CREATE TABLE audit_chain (id INTEGER PRIMARY KEY CHECK (id = 1), genesis_after_id "
          "BIGINT NOT NULL, pruned_through_id BIGINT NOT NULL DEFAULT 0, pruned_through_hash "
          "TEXT NOT NULL DEFAULT '', pruned_rows BIGINT NOT NULL DEFAULT 0, pruned_at BIGINT NOT "
          "NULL DEFAULT 0)",
          "INSERT INTO audit_chain (id, genesis_after_id) VALUES (1, 0)",
          "CREATE FUNCTION vitrine_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
          "BEGIN RAISE EXCEPTION 'audit rows are append-only'; END $$",
          "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION "
          "vitrine_audit_append_only()",
          "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE "
          "FUNCTION vitrine_audit_append_only()",
          "CREATE FUNCTION vitrine_audit_prune_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
          "BEGIN IF OLD.id > (SELECT pruned_through_id FROM audit_chain WHERE id = 1) THEN "
          "RAISE EXCEPTION 'audit rows are append-only; only archived rows may be pruned'; END "
          "IF; RETURN OLD; END $$",
          "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION "
          "vitrine_audit_prune_only()",
          "CREATE FUNCTION vitrine_audit_chain_forward() RETURNS trigger LANGUAGE plpgsql AS $$ "
          "BEGIN IF NEW.pruned_through_id < OLD.pruned_through_id OR (NEW.genesis_after_id <> "
          "OLD.genesis_after_id AND EXISTS (SELECT 1 FROM audit)) THEN RAISE EXCEPTION 'the "
          "audit chain anchor only moves forward'; END IF; RETURN NEW; END $$",
          "CREATE TRIGGER audit_chain_forward BEFORE UPDATE ON audit_chain FOR EACH ROW EXECUTE "
          "FUNCTION vitrine_audit_chain_forward()",
          "CREATE FUNCTION vitrine_audit_chain_kept() RETURNS trigger LANGUAGE plpgsql AS $$ "
          "BEGIN RAISE EXCEPTION 'the audit chain anchor cannot be deleted'; END $$",
          "CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain FOR EACH ROW "
          "EXECUTE FUNCTION vitrine_audit_chain_kept()",
      },
      {
          // 2 (SQLite 6): named, expiring admin tokens and the time of their
          // last use; users signed in through OpenID Connect.
          "ALTER TABLE admin_tokens ADD COLUMN name TEXT NOT NULL DEFAULT ''",
          "ALTER TABLE admin_tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0",
          "ALTER TABLE admin_tokens ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0",
          "CREATE TABLE users (issuer TEXT NOT NULL, subject TEXT NOT NULL, name TEXT NOT NULL, "
          "email TEXT NOT NULL, first_login BIGINT NOT NULL, last_login BIGINT NOT NULL, "
          "PRIMARY KEY (issuer, subject))",
      },
      {
          // 3 (SQLite 7): embed origins and share links, both going with
          // their space.
          "CREATE TABLE embed_origins (space TEXT NOT NULL REFERENCES spaces(key) ON DELETE "
          "CASCADE, origin TEXT NOT NULL, added_at BIGINT NOT NULL, added_by TEXT NOT NULL, "
          "PRIMARY KEY (space, origin))",
          "CREATE TABLE share_links (id TEXT PRIMARY KEY, space TEXT NOT NULL REFERENCES "
          "spaces(key) ON DELETE CASCADE, space_id TEXT NOT NULL, page TEXT NOT NULL, macro "
          "BIGINT NOT NULL DEFAULT 0, expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL, "
          "created_by TEXT NOT NULL, revoked_at BIGINT NOT NULL DEFAULT 0, revoked_by TEXT NOT "
          "NULL DEFAULT '')",
          "CREATE INDEX share_links_space ON share_links (space)",
      },
      {
          // 4 (SQLite 8): withdrawn approvals stay as history and cover nothing.
          "ALTER TABLE plugin_approvals ADD COLUMN withdrawn_at BIGINT NOT NULL DEFAULT 0",
          "ALTER TABLE plugin_approvals ADD COLUMN withdrawn_by TEXT NOT NULL DEFAULT ''",
      },
      {
          // 5 (SQLite 9): render leases (store/render_lease.h), rows that live
          // seconds.
          "CREATE TABLE render_leases (space TEXT NOT NULL, plugin_id TEXT NOT NULL, key_hash "
          "TEXT NOT NULL, holder TEXT NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (space, "
          "plugin_id, key_hash))",
      },
      {
          // 6 (SQLite 10): browser sessions shared by every host.
          "CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, csrf TEXT NOT NULL, token_id TEXT "
          "NOT NULL DEFAULT '', user_who TEXT NOT NULL DEFAULT '', display_name TEXT NOT NULL "
          "DEFAULT '', roles TEXT NOT NULL DEFAULT '', id_token_record TEXT NOT NULL DEFAULT '', "
          "created_at BIGINT NOT NULL, last_seen BIGINT NOT NULL, flash TEXT NOT NULL DEFAULT "
          "'')",
          "CREATE INDEX sessions_last_seen ON sessions (last_seen)",
      },
      {
          // 7 (SQLite 11): rate limits shared by every host.
          "CREATE TABLE rate_limits (kind TEXT NOT NULL, key TEXT NOT NULL, tokens DOUBLE "
          "PRECISION NOT NULL DEFAULT 0, refilled_at BIGINT NOT NULL DEFAULT 0, failures BIGINT "
          "NOT NULL DEFAULT 0, not_before BIGINT NOT NULL DEFAULT 0, touched_at BIGINT NOT NULL, "
          "PRIMARY KEY (kind, key))",
          "CREATE INDEX rate_limits_touched ON rate_limits (touched_at)",
      },
      {
          // 8 (SQLite 12): scheduled cache warming per space.
          "CREATE TABLE warm_schedules (space TEXT PRIMARY KEY REFERENCES spaces(key) ON DELETE "
          "CASCADE, mode TEXT NOT NULL, interval_s BIGINT NOT NULL, next_due_at BIGINT NOT "
          "NULL, last_started_at BIGINT NOT NULL DEFAULT 0, last_finished_at BIGINT NOT NULL "
          "DEFAULT 0, last_refreshed BIGINT NOT NULL DEFAULT 0, last_failed BIGINT NOT NULL "
          "DEFAULT 0, last_holder TEXT NOT NULL DEFAULT '', updated_at BIGINT NOT NULL, "
          "updated_by TEXT NOT NULL)",
      },
      {
          // 9 (SQLite 13): upstream single-flight across hosts, rows that
          // live seconds.
          "CREATE TABLE upstream_flights (space TEXT NOT NULL, key_hash TEXT NOT NULL, holder "
          "TEXT NOT NULL, lease_until BIGINT NOT NULL, record TEXT NOT NULL DEFAULT '', "
          "received_at BIGINT NOT NULL DEFAULT 0, kept_until BIGINT NOT NULL DEFAULT 0, "
          "PRIMARY KEY (space, key_hash))",
      },
  };
  return m;
}

using Clock = std::chrono::steady_clock;

// A failed statement, carried from exec() to run() which turns it into an Error.
struct PgFailure : std::runtime_error {
  PgFailure(std::string state, const std::string& message, bool lost)
      : std::runtime_error(message), sqlstate(std::move(state)), connection_lost(lost) {}
  std::string sqlstate;
  bool connection_lost;
};

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

class Rows {
 public:
  explicit Rows(ResultPtr r) : r_(std::move(r)) {}
  int size() const { return PQntuples(r_.get()); }
  bool empty() const { return size() == 0; }
  std::string s(int row, int col) const { return PQgetvalue(r_.get(), row, col); }
  int64_t i(int row, int col) const {
    return std::strtoll(PQgetvalue(r_.get(), row, col), nullptr, 10);
  }
  int64_t affected() const { return std::strtoll(PQcmdTuples(r_.get()), nullptr, 10); }

 private:
  ResultPtr r_;
};

std::string text(const std::string& v) { return v; }
std::string text(int64_t v) { return std::to_string(v); }
std::string text(int v) { return std::to_string(v); }
std::string text(bool v) { return v ? "1" : "0"; }

std::string seconds_text(Clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  char buf[32];
  std::snprintf(buf, sizeof(buf), s < 10 ? "%.1f s" : "%.0f s", s);
  return buf;
}

constexpr const char* kAuditColumns =
    "SELECT id, at, who, space, action, subject, verdict, detail, space_id, chain FROM audit ";

std::vector<AuditRow> audit_rows(const Rows& r) {
  std::vector<AuditRow> out;
  for (int i = 0; i < r.size(); ++i) {
    out.push_back(AuditRow{r.i(i, 0), r.i(i, 1), r.s(i, 2), r.s(i, 3), r.s(i, 4), r.s(i, 5),
                           r.s(i, 6), r.s(i, 7), r.s(i, 8), r.s(i, 9)});
  }
  return out;
}

class PostgresBackend final : public Backend {
 public:
  PostgresBackend(PGconn* conn, std::string target, const PostgresOptions& options)
      : conn_(conn),
        target_(std::move(target)),
        busy_timeout_(busy_timeout()),
        url_(options.url),
        password_(options.password),
        listen_enabled_(options.listen) {}
  ~PostgresBackend() override {
    PQfinish(conn_);
    if (listen_ != nullptr) PQfinish(listen_);
    std::fill(password_.begin(), password_.end(), '\0');
  }
  PostgresBackend(const PostgresBackend&) = delete;
  PostgresBackend& operator=(const PostgresBackend&) = delete;

  Status init(bool allow_create) {
    return run("applying schema migrations", [&]() -> Status {
      session_settings();
      const auto& all = migrations();
      const int known = static_cast<int>(all.size());
      for (;;) {
        exec("BEGIN");
        try {
          lock_writes();
          exec(
              "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
              "applied_at BIGINT NOT NULL)");
          const int current = static_cast<int>(
              exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").i(0, 0));
          if (current > known) {
            exec("ROLLBACK");
            return make_error(Errc::io, "the PostgreSQL database " + target_ +
                                            " has schema version " + std::to_string(current) +
                                            ", newer than this vitrine knows (" +
                                            std::to_string(known) +
                                            "); upgrade vitrine on this host to the version the "
                                            "other hosts run");
          }
          if (current == known) {
            exec("COMMIT");
            break;
          }
          if (current == 0 && !allow_create) {
            exec("ROLLBACK");
            return make_error(Errc::io,
                              "the PostgreSQL database " + target_ +
                                  " has no vitrine schema, but the data directory was "
                                  "initialised with data; check store.url names the right "
                                  "database, or pass --init to 'vitrine serve' to start with an "
                                  "empty database");
          }
          for (const auto& sql : all[static_cast<std::size_t>(current)]) exec(sql);
          exec(
              "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, "
              "(EXTRACT(EPOCH FROM now()) * 1000)::BIGINT)",
              current + 1);
          exec("COMMIT");
        } catch (const PgFailure&) {
          rollback_quietly();
          throw;
        }
      }
      version_ = known;
      return ok_status();
    });
  }

  Status transaction(const std::function<Status()>& fn) override {
    return locked_transaction([this] { lock_writes(); }, fn);
  }

  Status transaction_on(const std::vector<std::string>& keys,
                        const std::function<Status()>& fn) override {
    // In one order, so two transactions naming the same keys cannot
    // deadlock; a hash collision only serializes two unrelated keys.
    std::vector<std::string> sorted = keys;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    return locked_transaction(
        [&] {
          for (const auto& k : sorted) {
            exec(std::string("SELECT pg_advisory_xact_lock(") + kKeyLockSpace + ", hashtext($1))",
                 k);
          }
        },
        fn);
  }

  // BEGIN, `lock` (advisory locks released by COMMIT or ROLLBACK), `fn`,
  // COMMIT; a transaction already open is joined without locking again.
  Status locked_transaction(const std::function<void()>& lock_fn,
                            const std::function<Status()>& fn) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (depth_ > 0) return fn();
    const auto start = Clock::now();
    Status begun = run("starting a transaction", [&]() -> Status {
      exec("BEGIN");
      try {
        lock_fn();
      } catch (const PgFailure&) {
        rollback_quietly();
        throw;
      }
      return ok_status();
    });
    if (!begun) return begun;
    ++depth_;
    Status st = ok_status();
    try {
      st = fn();
    } catch (const PgFailure& f) {
      st = failure_error("running a transaction", f, start);
    } catch (const std::exception& e) {
      st = make_error(Errc::io, std::string("error while running a transaction: ") + e.what());
    }
    --depth_;
    if (!st) {
      rollback_quietly();
      return st;
    }
    return run("committing a transaction", [&]() -> Status {
      exec("COMMIT");
      return ok_status();
    });
  }

  // ---------------------------------------------------------------- spaces
  Status insert_space(const SpaceRow& r) override {
    return run("creating a space", [&]() -> Status {
      auto res = exec(
          "INSERT INTO spaces (key, display_name, created_at, created_by, id) VALUES ($1, $2, "
          "$3, $4, $5) ON CONFLICT DO NOTHING",
          r.key, r.display_name, r.created_at_ms, r.created_by, r.id);
      if (res.affected() == 0)
        return make_error(Errc::conflict, "space '" + r.key + "' already exists");
      return ok_status();
    });
  }

  Result<std::vector<SpaceRow>> select_spaces(const std::string* key) {
    std::vector<SpaceRow> out;
    auto st = run("reading spaces", [&]() -> Status {
      const std::string sql =
          "SELECT key, display_name, created_at, created_by, grafana_origin, "
          "grafana_allow_private, connected_at, connected_by, id FROM spaces";
      Rows r =
          key ? exec(sql + " WHERE key = $1", *key) : exec(sql + " ORDER BY key COLLATE \"C\"");
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(SpaceRow{r.s(i, 0), r.s(i, 1), r.i(i, 2), r.s(i, 3), r.s(i, 4),
                               r.i(i, 5) != 0, r.i(i, 6), r.s(i, 7), r.s(i, 8)});
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
      if (exec("DELETE FROM spaces WHERE key = $1", key).affected() == 0) {
        return not_found("space '" + key + "'");
      }
      return ok_status();
    });
  }

  Result<int64_t> revoke_admin_tokens_of_space(const std::string& space_id,
                                               int64_t at_ms) override {
    int64_t n = 0;
    auto st = run("revoking the admin tokens of a space", [&]() -> Status {
      if (space_id.empty()) return make_error(Errc::invalid, "empty space id");
      n = exec("UPDATE admin_tokens SET revoked_at = $1 WHERE space_id = $2 AND revoked_at = 0",
               at_ms, space_id)
              .affected();
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  Status set_space_origin(const std::string& key, const std::string& origin, bool allow_private,
                          int64_t at_ms, const std::string& by) override {
    return run("connecting a space", [&]() -> Status {
      auto r = exec(
          "UPDATE spaces SET grafana_origin = $1, grafana_allow_private = $2, connected_at = $3, "
          "connected_by = $4 WHERE key = $5",
          origin, allow_private, at_ms, by, key);
      if (r.affected() == 0) return not_found("space '" + key + "'");
      return ok_status();
    });
  }

  Status upsert_customer_origin(const CustomerOriginRow& r) override {
    return run("approving a customer-managed origin", [&]() -> Status {
      exec(
          "INSERT INTO customer_origins (space, origin, plugin_id, entry, allow_private, "
          "approved_at, approved_by) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (space, "
          "origin, plugin_id, entry) DO UPDATE SET allow_private = EXCLUDED.allow_private, "
          "approved_at = EXCLUDED.approved_at, approved_by = EXCLUDED.approved_by",
          r.space, r.origin, r.plugin_id, r.entry, r.allow_private, r.approved_at_ms,
          r.approved_by);
      return ok_status();
    });
  }

  Result<std::vector<CustomerOriginRow>> list_customer_origins(const std::string& space) override {
    std::vector<CustomerOriginRow> out;
    auto st = run("reading customer-managed origins", [&]() -> Status {
      auto r = exec(
          "SELECT origin, plugin_id, entry, allow_private, approved_at, approved_by FROM "
          "customer_origins WHERE space = $1 ORDER BY origin COLLATE \"C\", plugin_id COLLATE "
          "\"C\", entry COLLATE \"C\"",
          space);
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(CustomerOriginRow{space, r.s(i, 0), r.s(i, 1), r.s(i, 2), r.i(i, 3) != 0,
                                        r.i(i, 4), r.s(i, 5)});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status delete_customer_origins(const std::string& space) override {
    return run("removing customer-managed origins", [&]() -> Status {
      exec("DELETE FROM customer_origins WHERE space = $1", space);
      return ok_status();
    });
  }

  // --------------------------------------------------------------- secrets
  Status put_secret(const SecretRow& r) override {
    return run("storing a secret", [&]() -> Status {
      exec(
          "INSERT INTO secrets (space, name, origin, record, set_at, set_by) VALUES ($1, $2, $3, "
          "$4, $5, $6) ON CONFLICT (space, name) DO UPDATE SET origin = EXCLUDED.origin, record "
          "= EXCLUDED.record, set_at = EXCLUDED.set_at, set_by = EXCLUDED.set_by",
          r.space, r.name, r.origin, r.record, r.set_at_ms, r.set_by);
      return ok_status();
    });
  }

  Result<SecretRow> get_secret(const std::string& space, const std::string& name) override {
    std::optional<SecretRow> row;
    auto st = run("reading a secret", [&]() -> Status {
      auto r =
          exec("SELECT origin, record, set_at, set_by FROM secrets WHERE space = $1 AND name = $2",
               space, name);
      if (!r.empty()) row = SecretRow{space, name, r.s(0, 0), r.s(0, 1), r.i(0, 2), r.s(0, 3)};
      return ok_status();
    });
    if (!st) return st.error();
    if (!row) return not_found("secret '" + name + "' of space '" + space + "'");
    return *row;
  }

  Status delete_secret(const std::string& space, const std::string& name) override {
    return run("deleting a secret", [&]() -> Status {
      if (exec("DELETE FROM secrets WHERE space = $1 AND name = $2", space, name).affected() == 0) {
        return not_found("secret '" + name + "' of space '" + space + "'");
      }
      return ok_status();
    });
  }

  // ------------------------------------------------------------- approvals
  // A row with an id (a copy from another store) keeps it and its withdrawal; the sequence then
  // continues after the highest id, so ids are never reused.
  Result<int64_t> insert_approval(const ApprovalRow& r) override {
    int64_t id = 0;
    auto st = run("recording a plugin approval", [&]() -> Status {
      if (r.id != 0) {
        exec(
            "INSERT INTO plugin_approvals (id, plugin_id, version, permissions_json, "
            "permissions_hash, approved_at, approved_by, manifest_sha256, library_sha256, "
            "withdrawn_at, withdrawn_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            r.id, r.plugin_id, r.version, r.permissions_json, r.permissions_hash, r.approved_at_ms,
            r.approved_by, r.manifest_sha256, r.library_sha256, r.withdrawn_at_ms, r.withdrawn_by);
        exec(
            "SELECT setval(pg_get_serial_sequence('plugin_approvals', 'id'), (SELECT MAX(id) FROM "
            "plugin_approvals))");
        id = r.id;
        return ok_status();
      }
      id = exec(
               "INSERT INTO plugin_approvals (plugin_id, version, permissions_json, "
               "permissions_hash, approved_at, approved_by, manifest_sha256, library_sha256) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
               r.plugin_id, r.version, r.permissions_json, r.permissions_hash, r.approved_at_ms,
               r.approved_by, r.manifest_sha256, r.library_sha256)
               .i(0, 0);
      return ok_status();
    });
    if (!st) return st.error();
    return id;
  }

  Result<std::vector<ApprovalRow>> list_approvals(
      const std::optional<std::string>& plugin_id) override {
    std::vector<ApprovalRow> out;
    auto st = run("reading plugin approvals", [&]() -> Status {
      const std::string sql =
          "SELECT id, plugin_id, version, permissions_json, permissions_hash, approved_at, "
          "approved_by, manifest_sha256, library_sha256, withdrawn_at, withdrawn_by FROM "
          "plugin_approvals";
      Rows r = plugin_id ? exec(sql + " WHERE plugin_id = $1 ORDER BY id", *plugin_id)
                         : exec(sql + " ORDER BY id");
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(ApprovalRow{r.i(i, 0), r.s(i, 1), r.s(i, 2), r.s(i, 3), r.s(i, 4), r.i(i, 5),
                                  r.s(i, 6), r.s(i, 7), r.s(i, 8), r.i(i, 9), r.s(i, 10)});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status pin_approval_artifact(int64_t approval_id, const std::string& manifest_sha256,
                               const std::string& library_sha256) override {
    return run("pinning an approval to its artifact", [&]() -> Status {
      auto r = exec(
          "UPDATE plugin_approvals SET manifest_sha256 = $1, library_sha256 = $2 WHERE id = $3 "
          "AND manifest_sha256 = ''",
          manifest_sha256, library_sha256, approval_id);
      if (r.affected() == 0) return not_found("unpinned approval " + std::to_string(approval_id));
      return ok_status();
    });
  }

  Result<int> withdraw_approvals(const std::string& plugin_id, int64_t at_ms,
                                 const std::string& who) override {
    int n = 0;
    auto st = run("withdrawing a plugin approval", [&]() -> Status {
      n = static_cast<int>(exec("UPDATE plugin_approvals SET withdrawn_at = $1, withdrawn_by = $2 "
                                "WHERE plugin_id = $3 AND withdrawn_at = 0",
                                at_ms, who, plugin_id)
                               .affected());
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  Status set_enabled(const EnablementRow& r) override {
    return run("enabling a plugin", [&]() -> Status {
      exec(
          "INSERT INTO plugin_enablement (space, plugin_id, enabled_at, enabled_by) VALUES ($1, "
          "$2, $3, $4) ON CONFLICT (space, plugin_id) DO UPDATE SET enabled_at = "
          "EXCLUDED.enabled_at, enabled_by = EXCLUDED.enabled_by",
          r.space, r.plugin_id, r.enabled_at_ms, r.enabled_by);
      return ok_status();
    });
  }

  Status delete_enabled(const std::string& space, const std::string& plugin_id) override {
    return run("disabling a plugin", [&]() -> Status {
      auto r = exec("DELETE FROM plugin_enablement WHERE space = $1 AND plugin_id = $2", space,
                    plugin_id);
      if (r.affected() == 0) {
        return not_found("plugin '" + plugin_id + "' is not enabled in space '" + space + "'");
      }
      return ok_status();
    });
  }

  Result<std::vector<EnablementRow>> list_enabled(const std::string& space) override {
    std::vector<EnablementRow> out;
    auto st = run("reading enabled plugins", [&]() -> Status {
      auto r = exec(
          "SELECT plugin_id, enabled_at, enabled_by FROM plugin_enablement WHERE space = $1 "
          "ORDER BY plugin_id COLLATE \"C\"",
          space);
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(EnablementRow{space, r.s(i, 0), r.i(i, 1), r.s(i, 2)});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  // ---------------------------------------------------------- plugin store
  Status insert_artifact(const ArtifactRow& r) override {
    return run("recording an installed plugin", [&]() -> Status {
      auto res = exec(
          "INSERT INTO plugin_artifacts (plugin_id, version, manifest_sha256, library_sha256, "
          "manifest_path, signer, source, installed_at, installed_by) VALUES ($1, $2, $3, $4, "
          "$5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
          r.plugin_id, r.version, r.manifest_sha256, r.library_sha256, r.manifest_path, r.signer,
          r.source, r.installed_at_ms, r.installed_by);
      if (res.affected() == 0) {
        return make_error(Errc::conflict, "plugin '" + r.plugin_id + "' " + r.version +
                                              " with these exact bytes is already installed");
      }
      return ok_status();
    });
  }

  Result<std::vector<ArtifactRow>> list_artifacts() override {
    std::vector<ArtifactRow> out;
    auto st = run("reading installed plugins", [&]() -> Status {
      auto r = exec(
          "SELECT plugin_id, version, manifest_sha256, library_sha256, manifest_path, signer, "
          "source, installed_at, installed_by FROM plugin_artifacts ORDER BY plugin_id COLLATE "
          "\"C\", installed_at");
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(ArtifactRow{r.s(i, 0), r.s(i, 1), r.s(i, 2), r.s(i, 3), r.s(i, 4), r.s(i, 5),
                                  r.s(i, 6), r.i(i, 7), r.s(i, 8)});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status set_pin(const PinRow& r) override {
    return run("pinning a plugin version", [&]() -> Status {
      exec(
          "INSERT INTO plugin_pins (plugin_id, version, pinned_at, pinned_by) VALUES ($1, $2, "
          "$3, $4) ON CONFLICT (plugin_id) DO UPDATE SET version = EXCLUDED.version, pinned_at "
          "= EXCLUDED.pinned_at, pinned_by = EXCLUDED.pinned_by",
          r.plugin_id, r.version, r.pinned_at_ms, r.pinned_by);
      return ok_status();
    });
  }

  Status delete_pin(const std::string& plugin_id) override {
    return run("unpinning a plugin version", [&]() -> Status {
      exec("DELETE FROM plugin_pins WHERE plugin_id = $1", plugin_id);
      return ok_status();
    });
  }

  Result<std::vector<PinRow>> list_pins() override {
    std::vector<PinRow> out;
    auto st = run("reading plugin version pins", [&]() -> Status {
      auto r = exec(
          "SELECT plugin_id, version, pinned_at, pinned_by FROM plugin_pins ORDER BY plugin_id "
          "COLLATE \"C\"");
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(PinRow{r.s(i, 0), r.s(i, 1), r.i(i, 2), r.s(i, 3)});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status insert_publisher(const PublisherRow& r) override {
    return run("trusting a publisher key", [&]() -> Status {
      auto res = exec(
          "INSERT INTO trusted_publishers (name, public_key, added_at, added_by) VALUES ($1, $2, "
          "$3, $4) ON CONFLICT DO NOTHING",
          r.name, r.public_key, r.added_at_ms, r.added_by);
      if (res.affected() == 0) {
        return make_error(Errc::conflict, "publisher '" + r.name +
                                              "' or that key is already trusted; 'vitrine plugins "
                                              "trust list' shows them");
      }
      return ok_status();
    });
  }

  Status delete_publisher(const std::string& name) override {
    return run("removing a publisher key", [&]() -> Status {
      if (exec("DELETE FROM trusted_publishers WHERE name = $1", name).affected() == 0) {
        return not_found("trusted publisher '" + name + "'");
      }
      return ok_status();
    });
  }

  Result<std::vector<PublisherRow>> list_publishers() override {
    std::vector<PublisherRow> out;
    auto st = run("reading trusted publishers", [&]() -> Status {
      auto r = exec(
          "SELECT name, public_key, added_at, added_by FROM trusted_publishers ORDER BY name "
          "COLLATE \"C\"");
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(PublisherRow{r.s(i, 0), r.s(i, 1), r.i(i, 2), r.s(i, 3)});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  // ----------------------------------------------------------------- cache
  Result<CacheRow> get_cache(const std::string& space, const std::string& plugin_id,
                             const std::string& key_hash) override {
    std::optional<CacheRow> row;
    auto st = run("reading the cache", [&]() -> Status {
      auto r = exec(
          "SELECT record, size, fetched_at, fresh_until, stale_until, last_access FROM "
          "cache_entries WHERE space = $1 AND plugin_id = $2 AND key_hash = $3",
          space, plugin_id, key_hash);
      if (!r.empty()) {
        row = CacheRow{space,     plugin_id, key_hash,  r.s(0, 0), r.i(0, 1),
                       r.i(0, 2), r.i(0, 3), r.i(0, 4), r.i(0, 5)};
      }
      return ok_status();
    });
    if (!st) return st.error();
    if (!row) return not_found("cache entry");
    return *row;
  }

  Status put_cache(const CacheRow& r) override {
    return run("writing the cache", [&]() -> Status {
      exec(
          "INSERT INTO cache_entries (space, plugin_id, key_hash, record, size, fetched_at, "
          "fresh_until, stale_until, last_access) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON "
          "CONFLICT (space, plugin_id, key_hash) DO UPDATE SET record = EXCLUDED.record, size = "
          "EXCLUDED.size, fetched_at = EXCLUDED.fetched_at, fresh_until = EXCLUDED.fresh_until, "
          "stale_until = EXCLUDED.stale_until, last_access = EXCLUDED.last_access, ord = "
          "EXCLUDED.ord",
          r.space, r.plugin_id, r.key_hash, r.record, r.size, r.fetched_at_ms, r.fresh_until_ms,
          r.stale_until_ms, r.last_access_ms);
      return ok_status();
    });
  }

  Result<bool> take_render_lease(const std::string& space, const std::string& plugin_id,
                                 const std::string& key_hash, const std::string& holder,
                                 int64_t now_ms, int64_t expires_at_ms) override {
    bool held = false;
    auto st = run("taking a render lease", [&]() -> Status {
      auto res = exec(
          "INSERT INTO render_leases (space, plugin_id, key_hash, holder, expires_at) VALUES ($1, "
          "$2, $3, $4, $5) ON CONFLICT (space, plugin_id, key_hash) DO UPDATE SET holder = "
          "EXCLUDED.holder, expires_at = EXCLUDED.expires_at WHERE render_leases.expires_at <= $6 "
          "OR render_leases.holder = EXCLUDED.holder",
          space, plugin_id, key_hash, holder, expires_at_ms, now_ms);
      held = res.affected() > 0;
      return ok_status();
    });
    if (!st) return st.error();
    return held;
  }

  Status release_render_lease(const std::string& space, const std::string& plugin_id,
                              const std::string& key_hash, const std::string& holder) override {
    return run("releasing a render lease", [&]() -> Status {
      exec(
          "DELETE FROM render_leases WHERE space = $1 AND plugin_id = $2 AND key_hash = $3 AND "
          "holder = $4",
          space, plugin_id, key_hash, holder);
      return ok_status();
    });
  }

  Result<bool> take_upstream_flight(const std::string& space, const std::string& key_hash,
                                    const std::string& holder, int64_t now_ms,
                                    int64_t lease_until_ms, int64_t fresh_from_ms) override {
    bool held = false;
    auto st = run("taking an upstream request lease", [&]() -> Status {
      auto res = exec(
          "INSERT INTO upstream_flights (space, key_hash, holder, lease_until) VALUES ($1, $2, "
          "$3, $4) ON CONFLICT (space, key_hash) DO UPDATE SET holder = EXCLUDED.holder, "
          "lease_until = EXCLUDED.lease_until, record = '', received_at = 0, kept_until = 0 "
          "WHERE (upstream_flights.record = '' AND upstream_flights.lease_until <= $5) OR "
          "(upstream_flights.record <> '' AND (upstream_flights.kept_until <= $5 OR "
          "upstream_flights.received_at < $6))",
          space, key_hash, holder, lease_until_ms, now_ms, fresh_from_ms);
      held = res.affected() > 0;
      return ok_status();
    });
    if (!st) return st.error();
    return held;
  }

  Result<std::string> get_upstream_response(const std::string& space, const std::string& key_hash,
                                            int64_t now_ms, int64_t fresh_from_ms) override {
    std::string record;
    auto st = run("reading an upstream response", [&]() -> Status {
      auto res = exec(
          "SELECT record FROM upstream_flights WHERE space = $1 AND key_hash = $2 AND record <> "
          "'' AND kept_until > $3 AND received_at >= $4",
          space, key_hash, now_ms, fresh_from_ms);
      if (!res.empty()) record = res.s(0, 0);
      return ok_status();
    });
    if (!st) return st.error();
    return record;
  }

  Status put_upstream_response(const std::string& space, const std::string& key_hash,
                               const std::string& holder, const std::string& record,
                               int64_t received_at_ms, int64_t kept_until_ms) override {
    return run("storing an upstream response", [&]() -> Status {
      exec(
          "INSERT INTO upstream_flights (space, key_hash, holder, lease_until, record, "
          "received_at, kept_until) VALUES ($1, $2, $3, 0, $4, $5, $6) ON CONFLICT (space, "
          "key_hash) DO UPDATE SET holder = EXCLUDED.holder, lease_until = 0, record = "
          "EXCLUDED.record, received_at = EXCLUDED.received_at, kept_until = EXCLUDED.kept_until",
          space, key_hash, holder, record, received_at_ms, kept_until_ms);
      return ok_status();
    });
  }

  Status release_upstream_flight(const std::string& space, const std::string& key_hash,
                                 const std::string& holder) override {
    return run("releasing an upstream request lease", [&]() -> Status {
      exec(
          "DELETE FROM upstream_flights WHERE space = $1 AND key_hash = $2 AND holder = $3 AND "
          "record = ''",
          space, key_hash, holder);
      return ok_status();
    });
  }

  Result<int64_t> purge_upstream_flights(int64_t now_ms) override {
    int64_t n = 0;
    auto st = run("purging upstream responses", [&]() -> Status {
      auto res =
          exec("DELETE FROM upstream_flights WHERE lease_until <= $1 AND kept_until <= $1", now_ms);
      n = res.affected();
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  Status touch_cache(const std::string& space, const std::string& plugin_id,
                     const std::string& key_hash, int64_t at_ms) override {
    return run("updating the cache", [&]() -> Status {
      exec(
          "UPDATE cache_entries SET last_access = $1 WHERE space = $2 AND plugin_id = $3 AND "
          "key_hash = $4",
          at_ms, space, plugin_id, key_hash);
      return ok_status();
    });
  }

  Status delete_cache(const std::string& space, const std::string& plugin_id,
                      const std::string& key_hash) override {
    return run("deleting a cache entry", [&]() -> Status {
      exec("DELETE FROM cache_entries WHERE space = $1 AND plugin_id = $2 AND key_hash = $3", space,
           plugin_id, key_hash);
      return ok_status();
    });
  }

  Result<int64_t> cache_bytes(const std::string& space) override {
    int64_t total = 0;
    auto st = run("measuring the cache", [&]() -> Status {
      total = space.empty()
                  ? exec("SELECT COALESCE(SUM(size), 0) FROM cache_entries").i(0, 0)
                  : exec("SELECT COALESCE(SUM(size), 0) FROM cache_entries WHERE space = $1", space)
                        .i(0, 0);
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
          Rows r = space.empty()
                       ? exec(
                             "DELETE FROM cache_entries WHERE ord = (SELECT ord FROM "
                             "cache_entries ORDER BY last_access, ord LIMIT 1)")
                       : exec(
                             "DELETE FROM cache_entries WHERE ord = (SELECT ord FROM "
                             "cache_entries WHERE space = $1 ORDER BY last_access, ord LIMIT 1)",
                             space);
          if (r.affected() == 0) return ok_status();
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
      n = exec("DELETE FROM cache_entries WHERE stale_until <= $1", now_ms).affected();
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  // ---------------------------------------------------------------- assets
  Status put_asset(const AssetRow& r) override {
    return run("storing an asset", [&]() -> Status {
      exec(
          "INSERT INTO assets (space, id, content_type, record, size, created_at) VALUES ($1, "
          "$2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
          r.space, r.id, r.content_type, r.record, r.size, r.created_at_ms);
      return ok_status();
    });
  }

  Result<std::vector<AssetRow>> select_assets(const std::string& space, const std::string* id) {
    std::vector<AssetRow> out;
    auto st = run("reading assets", [&]() -> Status {
      Rows r = id ? exec(
                        "SELECT id, content_type, record, size, created_at FROM assets WHERE "
                        "space = $1 AND id = $2",
                        space, *id)
                  : exec(
                        "SELECT id, content_type, '', size, created_at FROM assets WHERE space "
                        "= $1 ORDER BY created_at, id COLLATE \"C\"",
                        space);
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(AssetRow{space, r.s(i, 0), r.s(i, 1), r.s(i, 2), r.i(i, 3), r.i(i, 4)});
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
      if (exec("DELETE FROM assets WHERE space = $1 AND id = $2", space, id).affected() == 0) {
        return not_found("asset '" + id + "' in space '" + space + "'");
      }
      return ok_status();
    });
  }

  // ---------------------------------------------------------- admin tokens
  Status insert_admin_token(const AdminTokenRow& r) override {
    return run("creating an admin token", [&]() -> Status {
      auto res = exec(
          "INSERT INTO admin_tokens (id, hash, role, created_at, created_by, revoked_at, "
          "space_id, name, expires_at, last_used_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, "
          "0) ON CONFLICT DO NOTHING",
          r.id, r.hash, r.role, r.created_at_ms, r.created_by, r.space_id, r.name, r.expires_at_ms);
      if (res.affected() == 0) {
        return make_error(Errc::conflict, "admin token '" + r.id + "' already exists");
      }
      return ok_status();
    });
  }

  Result<std::vector<AdminTokenRow>> select_tokens(const std::string* hash) {
    std::vector<AdminTokenRow> out;
    auto st = run("reading admin tokens", [&]() -> Status {
      const std::string sql =
          "SELECT id, hash, role, created_at, created_by, revoked_at, space_id, name, "
          "expires_at, last_used_at FROM admin_tokens";
      Rows r = hash ? exec(sql + " WHERE hash = $1", *hash)
                    : exec(sql + " ORDER BY created_at, id COLLATE \"C\"");
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(AdminTokenRow{r.s(i, 0), r.s(i, 1), r.s(i, 2), r.i(i, 3), r.s(i, 4),
                                    r.i(i, 5), r.s(i, 6), r.s(i, 7), r.i(i, 8), r.i(i, 9)});
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
    std::vector<AdminTokenRow> out;
    auto st = run("reading an admin token", [&]() -> Status {
      auto r = exec(
          "SELECT id, hash, role, created_at, created_by, revoked_at, space_id, name, "
          "expires_at, last_used_at FROM admin_tokens WHERE id = $1",
          id);
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(AdminTokenRow{r.s(i, 0), r.s(i, 1), r.s(i, 2), r.i(i, 3), r.s(i, 4),
                                    r.i(i, 5), r.s(i, 6), r.s(i, 7), r.i(i, 8), r.i(i, 9)});
      }
      return ok_status();
    });
    if (!st) return st.error();
    if (out.empty()) return not_found("admin token '" + id + "'");
    return out.front();
  }

  Result<std::vector<AdminTokenRow>> list_admin_tokens() override { return select_tokens(nullptr); }

  Status revoke_admin_token(const std::string& id, int64_t at_ms) override {
    return run("revoking an admin token", [&]() -> Status {
      auto r = exec("UPDATE admin_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0",
                    at_ms, id);
      if (r.affected() == 0) return not_found("active admin token '" + id + "'");
      return ok_status();
    });
  }

  Status touch_admin_token(const std::string& id, int64_t at_ms) override {
    return run("recording an admin token's use", [&]() -> Status {
      exec("UPDATE admin_tokens SET last_used_at = $1 WHERE id = $2", at_ms, id);
      return ok_status();
    });
  }

  // ----------------------------------------------------------------- users
  Status upsert_user(const UserRow& r) override {
    return run("recording a user's sign-in", [&]() -> Status {
      exec(
          "INSERT INTO users (issuer, subject, name, email, first_login, last_login) VALUES ($1, "
          "$2, $3, $4, $5, $6) ON CONFLICT (issuer, subject) DO UPDATE SET name = EXCLUDED.name, "
          "email = EXCLUDED.email, last_login = EXCLUDED.last_login",
          r.issuer, r.subject, r.name, r.email, r.first_login_ms, r.last_login_ms);
      return ok_status();
    });
  }

  Result<std::vector<UserRow>> list_users() override {
    std::vector<UserRow> out;
    auto st = run("reading users", [&]() -> Status {
      auto r = exec(
          "SELECT issuer, subject, name, email, first_login, last_login FROM users ORDER BY "
          "last_login DESC, issuer COLLATE \"C\", subject COLLATE \"C\"");
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(UserRow{r.s(i, 0), r.s(i, 1), r.s(i, 2), r.s(i, 3), r.i(i, 4), r.i(i, 5)});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  // -------------------------------------------------------- embed settings
  Result<std::vector<EmbedOriginRow>> list_embed_origins(const std::string& space) override {
    std::vector<EmbedOriginRow> out;
    auto st = run("reading embed origins", [&]() -> Status {
      auto r = exec(
          "SELECT origin, added_at, added_by FROM embed_origins WHERE space = $1 ORDER BY origin "
          "COLLATE \"C\"",
          space);
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(EmbedOriginRow{space, r.s(i, 0), r.i(i, 1), r.s(i, 2)});
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  // Delete and insert in one transaction: no reader sees half a list.
  Status replace_embed_origins(const std::string& space,
                               const std::vector<EmbedOriginRow>& rows) override {
    return transaction([&]() -> Status {
      return run("storing embed origins", [&]() -> Status {
        exec("DELETE FROM embed_origins WHERE space = $1", space);
        for (const auto& r : rows) {
          exec(
              "INSERT INTO embed_origins (space, origin, added_at, added_by) VALUES ($1, $2, $3, "
              "$4)",
              space, r.origin, r.added_at_ms, r.added_by);
        }
        return ok_status();
      });
    });
  }

  // -------------------------------------------------------- warm schedules
  Result<std::vector<WarmScheduleRow>> select_warm_schedules(const std::string* space,
                                                             const int64_t* due_by) {
    std::vector<WarmScheduleRow> out;
    auto st = run("reading warming schedules", [&]() -> Status {
      const std::string sql =
          "SELECT space, mode, interval_s, next_due_at, last_started_at, last_finished_at, "
          "last_refreshed, last_failed, last_holder, updated_at, updated_by FROM warm_schedules";
      Rows r = space    ? exec(sql + " WHERE space = $1", *space)
               : due_by ? exec(sql +
                                   " WHERE mode <> 'off' AND next_due_at <= $1 ORDER BY "
                                   "next_due_at, space COLLATE \"C\"",
                               *due_by)
                        : exec(sql + " ORDER BY space COLLATE \"C\"");
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(WarmScheduleRow{r.s(i, 0), r.s(i, 1), r.i(i, 2), r.i(i, 3), r.i(i, 4),
                                      r.i(i, 5), r.i(i, 6), r.i(i, 7), r.s(i, 8), r.i(i, 9),
                                      r.s(i, 10)});
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
      exec(
          "INSERT INTO warm_schedules (space, mode, interval_s, next_due_at, last_started_at, "
          "last_finished_at, last_refreshed, last_failed, last_holder, updated_at, updated_by) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (space) DO UPDATE "
          "SET mode = EXCLUDED.mode, interval_s = EXCLUDED.interval_s, next_due_at = "
          "EXCLUDED.next_due_at, last_started_at = EXCLUDED.last_started_at, last_finished_at = "
          "EXCLUDED.last_finished_at, last_refreshed = EXCLUDED.last_refreshed, last_failed = "
          "EXCLUDED.last_failed, last_holder = EXCLUDED.last_holder, updated_at = "
          "EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by",
          r.space, r.mode, r.interval_s, r.next_due_at_ms, r.last_started_at_ms,
          r.last_finished_at_ms, r.last_refreshed, r.last_failed, r.last_holder, r.updated_at_ms,
          r.updated_by);
      return ok_status();
    });
  }

  // Under READ COMMITTED a second UPDATE of the row waits for the first to
  // commit, then re-checks its WHERE against the new row: next_due_at has
  // moved, so it matches nothing. One winner, no advisory lock.
  Result<bool> claim_warm_schedule(const std::string& space, int64_t seen_due_ms,
                                   int64_t next_due_ms, const std::string& holder,
                                   int64_t now_ms) override {
    bool won = false;
    auto st = run("claiming a warming run", [&]() -> Status {
      auto res = exec(
          "UPDATE warm_schedules SET next_due_at = $1, last_holder = $2, last_started_at = $3 "
          "WHERE space = $4 AND next_due_at = $5 AND mode <> 'off'",
          next_due_ms, holder, now_ms, space, seen_due_ms);
      won = res.affected() > 0;
      return ok_status();
    });
    if (!st) return st.error();
    return won;
  }

  Status finish_warm_schedule(const std::string& space, const std::string& holder,
                              int64_t finished_at_ms, int64_t refreshed, int64_t failed) override {
    return run("recording a warming run", [&]() -> Status {
      exec(
          "UPDATE warm_schedules SET last_finished_at = $1, last_refreshed = $2, last_failed = "
          "$3 WHERE space = $4 AND last_holder = $5",
          finished_at_ms, refreshed, failed, space, holder);
      return ok_status();
    });
  }

  // ----------------------------------------------------------- share links
  Status insert_share_link(const ShareLinkRow& r) override {
    return run("creating a share link", [&]() -> Status {
      auto res = exec(
          "INSERT INTO share_links (id, space, space_id, page, macro, expires_at, created_at, "
          "created_by, revoked_at, revoked_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, '') "
          "ON CONFLICT DO NOTHING",
          r.id, r.space, r.space_id, r.page, r.macro, r.expires_at_ms, r.created_at_ms,
          r.created_by);
      if (res.affected() == 0) {
        return make_error(Errc::conflict, "share link '" + r.id + "' already exists");
      }
      return ok_status();
    });
  }

  Result<std::vector<ShareLinkRow>> select_share_links(const std::string* id,
                                                       const std::string* space) {
    std::vector<ShareLinkRow> out;
    auto st = run("reading share links", [&]() -> Status {
      const std::string sql =
          "SELECT id, space, space_id, page, macro, expires_at, created_at, created_by, "
          "revoked_at, revoked_by FROM share_links";
      Rows r = id ? exec(sql + " WHERE id = $1", *id)
                  : exec(sql + " WHERE space = $1 ORDER BY created_at, id COLLATE \"C\"", *space);
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(ShareLinkRow{r.s(i, 0), r.s(i, 1), r.s(i, 2), r.s(i, 3), r.i(i, 4), r.i(i, 5),
                                   r.i(i, 6), r.s(i, 7), r.i(i, 8), r.s(i, 9)});
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
      auto r = exec(
          "UPDATE share_links SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND space = $4 "
          "AND revoked_at = 0",
          at_ms, by, id, space);
      if (r.affected() == 0) return not_found("active share link '" + id + "'");
      return ok_status();
    });
  }

  // -------------------------------------------------------------- sessions
  Status insert_session(const SessionRow& r) override {
    return run("creating a session", [&]() -> Status {
      exec(
          "INSERT INTO sessions (id_hash, csrf, token_id, user_who, display_name, roles, "
          "id_token_record, created_at, last_seen, flash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
          "$9, $10)",
          r.id_hash, r.csrf, r.token_id, r.user_who, r.display_name, r.roles, r.id_token_record,
          r.created_at_ms, r.last_seen_ms, r.flash);
      return ok_status();
    });
  }

  Result<std::vector<SessionRow>> select_sessions(const std::string* id_hash) {
    std::vector<SessionRow> out;
    auto st = run("reading sessions", [&]() -> Status {
      const std::string sql =
          "SELECT id_hash, csrf, token_id, user_who, display_name, roles, id_token_record, "
          "created_at, last_seen, flash FROM sessions";
      Rows r = id_hash ? exec(sql + " WHERE id_hash = $1", *id_hash)
                       : exec(sql + " ORDER BY created_at, id_hash COLLATE \"C\"");
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(SessionRow{r.s(i, 0), r.s(i, 1), r.s(i, 2), r.s(i, 3), r.s(i, 4), r.s(i, 5),
                                 r.s(i, 6), r.i(i, 7), r.i(i, 8), r.s(i, 9)});
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
      n = exec("SELECT COUNT(*) FROM sessions").i(0, 0);
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  Status touch_session(const std::string& id_hash, int64_t at_ms) override {
    return run("recording a session's use", [&]() -> Status {
      exec("UPDATE sessions SET last_seen = $1 WHERE id_hash = $2", at_ms, id_hash);
      return ok_status();
    });
  }

  Status set_session_flash(const std::string& id_hash, const std::string& flash) override {
    return run("storing a session's message", [&]() -> Status {
      auto r = exec("UPDATE sessions SET flash = $1 WHERE id_hash = $2", flash, id_hash);
      if (r.affected() == 0) return not_found("session");
      return ok_status();
    });
  }

  // A page view without a message stays a plain read; otherwise one
  // statement locks the row while its old message is read and cleared, so
  // of two hosts taking it at once only one gets it.
  Result<std::string> take_session_flash(const std::string& id_hash) override {
    std::string out;
    auto st = run("taking a session's message", [&]() -> Status {
      auto peek = exec("SELECT flash FROM sessions WHERE id_hash = $1", id_hash);
      if (peek.size() == 0 || peek.s(0, 0).empty()) return ok_status();
      auto r = exec(
          "UPDATE sessions s SET flash = '' FROM (SELECT id_hash, flash FROM sessions WHERE "
          "id_hash = $1 FOR UPDATE) old WHERE s.id_hash = old.id_hash AND old.flash <> '' "
          "RETURNING old.flash",
          id_hash);
      if (r.size() > 0) out = r.s(0, 0);
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status delete_session(const std::string& id_hash) override {
    return run("deleting a session", [&]() -> Status {
      exec("DELETE FROM sessions WHERE id_hash = $1", id_hash);
      return ok_status();
    });
  }

  Result<int64_t> delete_sessions_expired(int64_t idle_cutoff_ms,
                                          int64_t absolute_cutoff_ms) override {
    int64_t n = 0;
    auto st = run("deleting expired sessions", [&]() -> Status {
      n = exec("DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2", idle_cutoff_ms,
               absolute_cutoff_ms)
              .affected();
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  Result<int64_t> delete_sessions_beyond(int64_t keep) override {
    int64_t n = 0;
    auto st = run("deleting the oldest sessions", [&]() -> Status {
      n = exec(
              "DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions ORDER BY "
              "last_seen DESC, id_hash COLLATE \"C\" OFFSET $1)",
              keep)
              .affected();
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  // ----------------------------------------------------------- rate limits
  Result<RateLimitRow> get_rate_limit(const std::string& kind, const std::string& key) override {
    std::vector<RateLimitRow> rows;
    auto st = run("reading a rate limit", [&]() -> Status {
      rows = rate_limit_rows(
          exec("SELECT kind, key, tokens, refilled_at, failures, not_before, touched_at FROM "
               "rate_limits WHERE kind = $1 AND key = $2",
               kind, key));
      return ok_status();
    });
    if (!st) return st.error();
    if (rows.empty()) return not_found("rate limit '" + kind + "'");
    return rows.front();
  }

  Status put_rate_limit(const RateLimitRow& r) override {
    // Round-trips exactly: 17 significant digits.
    char tokens[40];
    std::snprintf(tokens, sizeof(tokens), "%.17g", r.tokens);
    return run("writing a rate limit", [&]() -> Status {
      exec(
          "INSERT INTO rate_limits (kind, key, tokens, refilled_at, failures, not_before, "
          "touched_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kind, key) DO UPDATE SET "
          "tokens = EXCLUDED.tokens, refilled_at = EXCLUDED.refilled_at, failures = "
          "EXCLUDED.failures, not_before = EXCLUDED.not_before, touched_at = EXCLUDED.touched_at",
          r.kind, r.key, std::string(tokens), r.refilled_at_ms, r.failures, r.not_before_ms,
          r.touched_at_ms);
      return ok_status();
    });
  }

  Status delete_rate_limit(const std::string& kind, const std::string& key) override {
    return run("deleting a rate limit", [&]() -> Status {
      exec("DELETE FROM rate_limits WHERE kind = $1 AND key = $2", kind, key);
      return ok_status();
    });
  }

  Result<int64_t> purge_rate_limits(const std::string& kind, int64_t touched_before_ms) override {
    int64_t n = 0;
    auto st = run("purging rate limits", [&]() -> Status {
      n = exec("DELETE FROM rate_limits WHERE touched_at < $1 AND kind = $2", touched_before_ms,
               kind)
              .affected();
      return ok_status();
    });
    if (!st) return st.error();
    return n;
  }

  Result<std::vector<RateLimitRow>> list_rate_limits() override {
    std::vector<RateLimitRow> rows;
    auto st = run("listing rate limits", [&]() -> Status {
      rows = rate_limit_rows(
          exec("SELECT kind, key, tokens, refilled_at, failures, not_before, touched_at FROM "
               "rate_limits ORDER BY kind, key"));
      return ok_status();
    });
    if (!st) return st.error();
    return rows;
  }

  static std::vector<RateLimitRow> rate_limit_rows(const Rows& r) {
    std::vector<RateLimitRow> rows;
    for (int i = 0; i < r.size(); ++i) {
      rows.push_back(RateLimitRow{r.s(i, 0), r.s(i, 1), std::strtod(r.s(i, 2).c_str(), nullptr),
                                  r.i(i, 3), r.i(i, 4), r.i(i, 5), r.i(i, 6)});
    }
    return rows;
  }

  // ----------------------------------------------------------------- audit
  Result<int64_t> append_audit(const AuditRow& r) override {
    int64_t id = 0;
    auto st = run("writing the audit log", [&]() -> Status {
      // Without an id the row takes the next one, as next_audit_id() tells.
      id = exec(
               "INSERT INTO audit (id, at, who, space, action, subject, verdict, detail, "
               "space_id, chain) VALUES (CASE WHEN $1::BIGINT <> 0 THEN $1::BIGINT ELSE "
               "GREATEST((SELECT COALESCE(MAX(id), 0) FROM audit), (SELECT pruned_through_id "
               "FROM audit_chain WHERE id = 1), (SELECT genesis_after_id FROM audit_chain WHERE "
               "id = 1)) + 1 END, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
               r.id, r.at_ms, r.who, r.space, r.action, r.subject, r.verdict, r.detail_json,
               r.space_id, r.chain)
               .i(0, 0);
      return ok_status();
    });
    if (!st) return st.error();
    return id;
  }

  Result<AuditChainState> audit_chain_state() override {
    AuditChainState out;
    auto st = run("reading the audit chain anchor", [&]() -> Status {
      auto r = exec(
          "SELECT genesis_after_id, pruned_through_id, pruned_through_hash, pruned_rows FROM "
          "audit_chain WHERE id = 1");
      if (r.empty()) return make_error(Errc::io, "the audit chain anchor row is missing");
      out = AuditChainState{r.i(0, 0), r.i(0, 1), r.s(0, 2), r.i(0, 3)};
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  // Never reused: the highest id ever written survives a prune in the anchor
  // (pruned_through_id), and the genesis covers rows from before the chain.
  Result<int64_t> next_audit_id() override {
    int64_t next = 0;
    auto st = run("reading the next audit id", [&]() -> Status {
      next = exec(
                 "SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM audit), (SELECT "
                 "pruned_through_id FROM audit_chain WHERE id = 1), (SELECT genesis_after_id FROM "
                 "audit_chain WHERE id = 1)) + 1")
                 .i(0, 0);
      return ok_status();
    });
    if (!st) return st.error();
    return next;
  }

  Result<std::vector<AuditRow>> audit_rows_after(int64_t after_id, int64_t limit) override {
    std::vector<AuditRow> out;
    auto st = run("reading the audit log", [&]() -> Status {
      out = audit_rows(
          exec(std::string(kAuditColumns) + "WHERE id > $1 ORDER BY id LIMIT $2", after_id, limit));
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Result<AuditRow> last_audit_row() override {
    std::vector<AuditRow> out;
    auto st = run("reading the audit log", [&]() -> Status {
      out = audit_rows(exec(std::string(kAuditColumns) + "ORDER BY id DESC LIMIT 1"));
      return ok_status();
    });
    if (!st) return st.error();
    if (out.empty()) return AuditRow{};
    return out.front();
  }

  Status prune_audit(int64_t through_id, const std::string& through_hash, int64_t rows) override {
    return run("pruning archived audit rows", [&]() -> Status {
      // The anchor first: the delete trigger lets through only rows up to it.
      exec(
          "UPDATE audit_chain SET pruned_through_id = $1, pruned_through_hash = $2, pruned_rows "
          "= pruned_rows + $3, pruned_at = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT WHERE id "
          "= 1",
          through_id, through_hash, rows);
      exec("DELETE FROM audit WHERE id <= $1", through_id);
      return ok_status();
    });
  }

  Result<std::vector<AuditRow>> query_audit(const AuditQuery& q) override {
    std::vector<AuditRow> out;
    auto st = run("reading the audit log", [&]() -> Status {
      std::string sql = std::string(kAuditColumns) + "WHERE at >= $1";
      std::vector<std::string> params{text(q.since_ms)};
      auto add = [&](const std::string& cond, std::string value) {
        params.push_back(std::move(value));
        sql += cond + "$" + std::to_string(params.size());
      };
      if (q.space) add(" AND space = ", *q.space);
      if (q.space_id) add(" AND space_id = ", *q.space_id);
      if (q.action_prefix) {
        params.push_back(text(static_cast<int64_t>(q.action_prefix->size())));
        const std::string n = "$" + std::to_string(params.size());
        add(" AND substr(action, 1, " + n + "::INTEGER) = ", *q.action_prefix);
      }
      if (q.until_ms > 0) add(" AND at < ", text(q.until_ms));
      if (q.who) add(" AND who = ", *q.who);
      if (q.before_id > 0) add(" AND id < ", text(q.before_id));
      add(q.newest_first ? " ORDER BY id DESC LIMIT " : " ORDER BY id LIMIT ", text(q.limit));
      out = audit_rows(exec_params(sql, params));
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Result<int64_t> count_audit() override {
    int64_t n = 0;
    auto st = run("counting audit rows", [&]() -> Status {
      n = exec("SELECT COUNT(*) FROM audit").i(0, 0);
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
        auto r = exec(src.sql);
        for (int i = 0; i < r.size(); ++i) {
          out.push_back(EncryptedRef{src.table, r.s(i, 0), r.s(i, 1), r.s(i, 2), r.s(i, 3)});
        }
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status update_encrypted(const EncryptedRef& ref, const std::string& new_record) override {
    return run("re-wrapping a record", [&]() -> Status {
      const char* sql = "";
      switch (ref.table) {
        case RecordTable::secret:
          sql =
              "UPDATE secrets SET record = $1 WHERE space = $2 AND name = $3 AND origin = $4 AND "
              "record = $5";
          break;
        case RecordTable::cache:
          sql =
              "UPDATE cache_entries SET record = $1 WHERE space = $2 AND plugin_id = $3 AND "
              "key_hash = $4 AND record = $5";
          break;
        case RecordTable::asset:
          sql =
              "UPDATE assets SET record = $1 WHERE space = $2 AND id = $3 AND content_type = $4 "
              "AND record = $5";
          break;
        case RecordTable::session:
          // space and a are fixed for sessions ('' and 'sessions').
          sql =
              "UPDATE sessions SET id_token_record = $1 WHERE $2 = '' AND $3 = 'sessions' AND "
              "id_hash = $4 AND id_token_record = $5";
          break;
      }
      if (exec(sql, new_record, ref.space, ref.a, ref.b, ref.record).affected() == 0) {
        return not_found("record changed or removed during rotation");
      }
      return ok_status();
    });
  }

  // ----------------------------------------------- change feed, key checks
  Result<ChangeFeed> read_change_feed() override {
    ChangeFeed feed;
    auto st = run("reading the change feed", [&]() -> Status {
      auto r = exec("SELECT seq, keyring_generation, changed_at FROM change_feed WHERE id = 1");
      if (r.empty()) return make_error(Errc::io, "the change feed row is missing");
      feed = ChangeFeed{r.i(0, 0), r.i(0, 1), r.i(0, 2)};
      return ok_status();
    });
    if (!st) return st.error();
    return feed;
  }

  Status bump_change_feed(bool keyring_changed, int64_t at_ms) override {
    return run("recording a change", [&]() -> Status {
      // pg_notify inside the writer's transaction: PostgreSQL delivers it
      // at commit, and not at all when the transaction rolls back.
      exec(
          "WITH bumped AS (UPDATE change_feed SET seq = seq + 1, keyring_generation = "
          "keyring_generation + $1, changed_at = $2 WHERE id = 1 RETURNING seq) SELECT "
          "pg_notify($3, seq::text) FROM bumped",
          keyring_changed ? int64_t{1} : int64_t{0}, at_ms, std::string(kChangeChannel));
      return ok_status();
    });
  }

  bool announces_changes() const override { return listen_enabled_; }

  Result<bool> wait_for_change(std::chrono::milliseconds timeout) override {
    if (!listen_enabled_) return Backend::wait_for_change(timeout);
    std::lock_guard<std::mutex> lock(listen_mu_);
    const auto deadline = Clock::now() + timeout;
    bool reopened = false;
    if (listen_ == nullptr || PQstatus(listen_) != CONNECTION_OK) {
      if (auto st = open_listener(); !st) return st.error();
      reopened = true;
    }
    // Announcements made while no connection listened are lost: answer
    // true so the caller reads the feed at once.
    if (reopened && ever_listened_) return true;
    ever_listened_ = true;
    for (;;) {
      if (PQconsumeInput(listen_) == 0) return listener_lost();
      bool announced = false;
      while (PGnotify* n = PQnotifies(listen_)) {
        announced = true;
        PQfreemem(n);
      }
      if (announced) return true;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{PQsocket(listen_), POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR) return listener_lost();
      if (ready > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 &&
          (p.revents & POLLIN) == 0) {
        return listener_lost();
      }
    }
  }

  Result<std::vector<KeyCheckRow>> list_key_checks() override {
    std::vector<KeyCheckRow> out;
    auto st = run("reading key checks", [&]() -> Status {
      auto r =
          exec("SELECT key_id, record, created_at FROM key_checks ORDER BY key_id COLLATE \"C\"");
      for (int i = 0; i < r.size(); ++i) out.push_back({r.s(i, 0), r.s(i, 1), r.i(i, 2)});
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status put_key_check(const KeyCheckRow& r) override {
    return run("recording a key check", [&]() -> Status {
      exec(
          "INSERT INTO key_checks (key_id, record, created_at) VALUES ($1, $2, $3) ON CONFLICT "
          "DO NOTHING",
          r.key_id, r.record, r.created_at_ms);
      return ok_status();
    });
  }

  Status delete_key_check(const std::string& key_id) override {
    return run("removing a key check", [&]() -> Status {
      exec("DELETE FROM key_checks WHERE key_id = $1", key_id);
      return ok_status();
    });
  }

  Result<std::map<std::string, int64_t>> record_key_ids() override {
    std::map<std::string, int64_t> out;
    auto st = run("listing the keys records name", [&]() -> Status {
      // Records are "v1:<key_id>:<base64>" (crypto/secret_box.h).
      auto r = exec(
          "SELECT split_part(record, ':', 2) AS k, COUNT(*) FROM (SELECT record FROM secrets "
          "UNION ALL SELECT record FROM cache_entries UNION ALL SELECT record FROM assets "
          "UNION ALL SELECT id_token_record FROM sessions WHERE id_token_record <> '') t "
          "GROUP BY k");
      for (int i = 0; i < r.size(); ++i) out[r.s(i, 0)] = r.i(i, 1);
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  // ----------------------------------------------------------- maintenance
  // PostgreSQL checks its own pages (and its server log reports damage);
  // what vitrine can check is that its schema is complete and readable.
  Result<std::string> integrity_check() override { return check_schema("checking integrity"); }
  Result<std::string> quick_check() override { return check_schema("checking integrity (quick)"); }

  // PostgreSQL enforces every foreign key; the check still looks, table by
  // table, so a constraint dropped by hand does not hide orphans.
  Result<std::vector<std::string>> foreign_key_check() override {
    std::vector<std::string> out;
    auto st = run("checking foreign keys", [&]() -> Status {
      static const char* const kChildren[] = {
          "customer_origins", "secrets",       "plugin_enablement", "cache_entries",
          "assets",           "embed_origins", "share_links",       "warm_schedules"};
      for (const char* table : kChildren) {
        auto r = exec(std::string("SELECT c.space FROM ") + table +
                      " c LEFT JOIN spaces s ON s.key = c.space WHERE s.key IS NULL");
        for (int i = 0; i < r.size(); ++i) {
          out.push_back(std::string(table) + " row of space '" + r.s(i, 0) +
                        "' refers to a missing row of spaces");
        }
      }
      return ok_status();
    });
    if (!st) return st.error();
    return out;
  }

  Status ping() override {
    return run("reading the database", [&]() -> Status {
      exec("SELECT COUNT(*) FROM schema_migrations");
      return ok_status();
    });
  }

  int schema_version() override { return version_; }

  Status set_genesis(int64_t genesis_after_id) {
    return run("setting the audit chain genesis", [&]() -> Status {
      exec("UPDATE audit_chain SET genesis_after_id = $1 WHERE id = 1", genesis_after_id);
      return ok_status();
    });
  }

 private:
  static Error not_found(const std::string& what) {
    return make_error(Errc::not_found, what + " not found");
  }

  Result<std::string> check_schema(const std::string& what) {
    std::string result;
    auto st = run(what, [&]() -> Status {
      const int64_t v = exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").i(0, 0);
      result = v == version_ ? "ok"
                             : "schema version " + std::to_string(v) + ", expected " +
                                   std::to_string(version_);
      if (exec("SELECT COUNT(*) FROM change_feed").i(0, 0) != 1) result = "change_feed row missing";
      if (exec("SELECT COUNT(*) FROM audit_chain").i(0, 0) != 1) result = "audit_chain row missing";
      return ok_status();
    });
    if (!st) return st.error();
    return result;
  }

  void session_settings() {
    // Statements and lock waits bounded like SQLite's busy handler; times in UTC.
    exec("SELECT set_config('lock_timeout', $1, false)",
         std::to_string(
             std::chrono::duration_cast<std::chrono::milliseconds>(busy_timeout_).count()) +
             "ms");
    exec("SELECT set_config('client_min_messages', 'warning', false)");
  }

  // The cluster-wide write lock; released by COMMIT or ROLLBACK.
  void lock_writes() { exec(std::string("SELECT pg_advisory_xact_lock(") + kWriteLockKey + ")"); }

  void rollback_quietly() {
    if (PQstatus(conn_) != CONNECTION_OK) return;
    ResultPtr r(PQexec(conn_, "ROLLBACK"), &PQclear);
  }

  template <class... Args>
  Rows exec(const std::string& sql, const Args&... args) {
    std::vector<std::string> params{text(args)...};
    return exec_params(sql, params);
  }

  Rows exec_params(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.c_str());
    ResultPtr r(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0),
                &PQclear);
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Rows(std::move(r));
    const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    std::string message = r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    const bool lost = PQstatus(conn_) != CONNECTION_OK;
    throw PgFailure(state ? state : "", message, lost);
  }

  template <class Fn>
  Status run(const std::string& what, Fn&& fn) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    const auto start = Clock::now();
    // A connection lost between calls (PostgreSQL restarted) is opened
    // again here; inside a transaction the transaction is gone with it.
    if (depth_ == 0 && PQstatus(conn_) != CONNECTION_OK) {
      PQreset(conn_);
      if (PQstatus(conn_) == CONNECTION_OK) {
        try {
          session_settings();
        } catch (const PgFailure& f) {
          return failure_error(what, f, start);
        }
      }
    }
    try {
      return fn();
    } catch (const PgFailure& f) {
      return failure_error(what, f, start);
    }
  }

  Error failure_error(const std::string& what, const PgFailure& f, Clock::time_point start) {
    const std::string detail = f.what();
    if (f.connection_lost || f.sqlstate.rfind("08", 0) == 0 || f.sqlstate == "57P01" ||
        f.sqlstate == "57P02" || f.sqlstate == "57P03") {
      return make_error(Errc::io, "cannot reach the PostgreSQL database " + target_ + " while " +
                                      what + " (" + detail +
                                      "); nothing was written. Check that PostgreSQL runs and "
                                      "accepts connections (store.url); vitrine reconnects by "
                                      "itself, retry then");
    }
    if (f.sqlstate == "55P03") {  // lock_not_available: lock_timeout ran out
      return make_error(Errc::io,
                        "the database is busy: another host or process has held the "
                        "write lock for " +
                            seconds_text(Clock::now() - start) + " while " + what +
                            "; nothing was written. Retry when it is done; "
                            "pg_stat_activity on " +
                            target_ + " shows the sessions holding locks");
    }
    if (f.sqlstate == "23505" || f.sqlstate == "40001" || f.sqlstate == "40P01") {
      return make_error(Errc::conflict, "a conflicting change while " + what + ": " + detail +
                                            "; nothing was written, retry");
    }
    if (f.sqlstate == "53100") {  // disk_full
      return make_error(Errc::io, "the disk of the PostgreSQL server " + target_ +
                                      " is full: " + what + " failed (" + detail +
                                      ") and nothing was written; free space there, then retry");
    }
    if (f.sqlstate == "42501") {  // insufficient_privilege
      return make_error(Errc::io, "the PostgreSQL user of store.url may not do this while " + what +
                                      " (" + detail +
                                      "); grant it ownership of the database (docs/deploy.md)");
    }
    return make_error(Errc::io, "database error while " + what + ": " + detail +
                                    (f.sqlstate.empty() ? "" : " (SQLSTATE " + f.sqlstate + ")"));
  }

  // Opens the listen connection with the main connection's URL and
  // password and LISTENs. [listen_mu_ held]
  Status open_listener() {
    if (listen_ != nullptr) {
      PQfinish(listen_);
      listen_ = nullptr;
    }
    const auto now = Clock::now();
    if (listen_failed_at_ && now - *listen_failed_at_ < kListenRetry) {
      return make_error(Errc::io, "the change notification connection to " + target_ +
                                      " is down; polling the change feed until it is back");
    }
    // The URL's own settings win over these defaults (as for the main
    // connection); a shorter connect timeout keeps a dead server from
    // holding up the polling caller for long.
    std::vector<const char*> keys{"connect_timeout", "application_name", "dbname"};
    std::vector<const char*> values{"2", kListenApplicationName, url_.c_str()};
    if (!password_.empty()) {
      keys.push_back("password");
      values.push_back(password_.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    listen_ = PQconnectdbParams(keys.data(), values.data(), 1);
    std::string why;
    if (listen_ == nullptr) {
      why = "out of memory";
    } else if (PQstatus(listen_) != CONNECTION_OK) {
      why = PQerrorMessage(listen_);
    } else {
      PQsetNoticeProcessor(listen_, &ignore_notice, nullptr);
      ResultPtr r(PQexec(listen_, (std::string("LISTEN ") + kChangeChannel).c_str()), &PQclear);
      if (r && PQresultStatus(r.get()) == PGRES_COMMAND_OK) {
        listen_failed_at_.reset();
        return ok_status();
      }
      why = r ? PQresultErrorMessage(r.get()) : PQerrorMessage(listen_);
    }
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    if (listen_ != nullptr) PQfinish(listen_);
    listen_ = nullptr;
    listen_failed_at_ = now;
    return make_error(Errc::io, "cannot open the change notification connection to " + target_ +
                                    " (" + why + "); polling the change feed until it opens");
  }

  // [listen_mu_ held]
  Error listener_lost() {
    std::string why = PQerrorMessage(listen_);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    PQfinish(listen_);
    listen_ = nullptr;
    return make_error(Errc::io, "lost the change notification connection to " + target_ + " (" +
                                    why +
                                    "); polling the change feed, it is opened again on "
                                    "the next wait");
  }

  static void ignore_notice(void*, const char*) {}

  std::recursive_mutex mu_;
  PGconn* conn_;
  std::string target_;  // user@host:port/db, for messages
  Clock::duration busy_timeout_;
  int depth_ = 0;
  int version_ = 0;
  // The listen connection (wait_for_change); its own mutex, never mu_.
  const std::string url_;
  std::string password_;  // zeroed at destruction; never in a message
  const bool listen_enabled_;
  std::mutex listen_mu_;
  PGconn* listen_ = nullptr;
  bool ever_listened_ = false;
  std::optional<Clock::time_point> listen_failed_at_;
};

void ignore_notice(void*, const char*) {}

}  // namespace

std::string redact_postgres_url(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto authority_end = url.find_first_of("/?", scheme + 3);
  const auto at = url.rfind('@', authority_end == std::string::npos ? url.size() : authority_end);
  if (at == std::string::npos || at < scheme + 3) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + ":***" + url.substr(at);
}

Status set_postgres_audit_genesis(Backend& postgres, int64_t genesis_after_id) {
  auto* pg = dynamic_cast<PostgresBackend*>(&postgres);
  if (pg == nullptr) {
    return make_error(Errc::invalid, "the audit chain genesis can only be set on PostgreSQL");
  }
  return pg->set_genesis(genesis_after_id);
}

Result<std::string> read_postgres_password(const std::filesystem::path& file) {
  auto bytes = crypto::read_private_file(
      file, crypto::PrivateFile{"password file", "store.password_file",
                                "create it with the database password on one line (mode 0600)",
                                "; anyone who reads it can log in to the database", 4096});
  if (!bytes) return bytes.error();
  std::string password(bytes->view());
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  if (password.empty()) {
    return make_error(Errc::key, "password file " + file.string() +
                                     " is empty; write the database password into it");
  }
  return password;
}

int postgres_schema_version_known() { return static_cast<int>(migrations().size()); }

Result<std::unique_ptr<Backend>> open_postgres_backend(const PostgresOptions& options) {
  // Later keywords override what the URL says: a password from the file,
  // and a connect timeout unless the URL sets its own.
  std::vector<const char*> keys{"connect_timeout", "application_name", "dbname"};
  std::vector<const char*> values{"10", "vitrine", options.url.c_str()};
  if (!options.password.empty()) {
    keys.push_back("password");
    values.push_back(options.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
  const std::string shown = redact_postgres_url(options.url);
  if (conn == nullptr) return make_error(Errc::io, "out of memory connecting to " + shown);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    PQfinish(conn);
    return make_error(Errc::io, "cannot connect to the PostgreSQL database " + shown + ": " +
                                    message +
                                    "; check store.url (host, port, database, sslmode), "
                                    "store.password_file and that PostgreSQL runs");
  }
  PQsetNoticeProcessor(conn, &ignore_notice, nullptr);
  std::string target =
      std::string(PQuser(conn)) + "@" + PQhost(conn) + ":" + PQport(conn) + "/" + PQdb(conn);
  auto backend = std::make_unique<PostgresBackend>(conn, std::move(target), options);
  if (auto st = backend->init(options.allow_create); !st) return st.error();
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace vitrine::store
