// Schema version 3 on a database written by version 2: existing spaces get
// random ids, space tokens made for an earlier space with the same key are
// revoked (and audited), audit rows of the current space get its id, older
// rows stay unbound, and the audit table is append-only again afterwards.
// SQLite only: it upgrades a schema-2 SQLite file; the PostgreSQL schema starts at what SQLite
// migration 5 made (postgres_backend.cpp).
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include "digest/sha256.h"
#include "store/sqlite/sqlite_backend.h"
#include "test_support.h"

namespace vitrine::store::testing {
namespace {

namespace fs = std::filesystem;
using namespace Poco::Data::Keywords;

// The schema as versions 1 and 2 created it (released migrations never change).
const std::vector<std::string> kSchemaV2 = {
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
};

class SpaceIdMigration : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    Poco::Data::SQLite::Connector::registerConnector();
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string db() const { return (dir_ / kSqliteFileName).string(); }
  fs::path dir_;
};

TEST_F(SpaceIdMigration, ExistingSpacesGetIdsAndEarlierGenerationsStayApart) {
  {
    Poco::Data::Session s("SQLite", db());
    s << "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT "
         "NULL)",
        now;
    for (const auto& sql : kSchemaV2) s << sql, now;
    s << "INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0), (2, 0)", now;
    // team-a was created at 1000, deleted at 1500 and created again at 2000.
    s << "INSERT INTO spaces (key, display_name, created_at, created_by) VALUES "
         "('team-a', 'A', 2000, 'cli:x'), ('team-b', 'B', 2000, 'cli:x')",
        now;
    const std::string old_hash = digest::sha256_hex("vtr_old"),
                      new_hash = digest::sha256_hex("vtr_new"),
                      plat_hash = digest::sha256_hex("vtr_plat");
    s << "INSERT INTO admin_tokens (id, hash, role, created_at, created_by) VALUES "
         "('told', ?, 'space-admin:team-a', 1100, 'cli:x'), "
         "('tnew', ?, 'space-admin:team-a', 2100, 'cli:x'), "
         "('tplat', ?, 'platform-admin', 100, 'cli:x')",
        bind(old_hash), bind(new_hash), bind(plat_hash), now;
    s << "INSERT INTO audit (at, who, space, action, subject, verdict, detail) VALUES "
         "(1000, 'cli:x', 'team-a', 'space.create', 'team-a', 'ok', '{}'), "
         "(1500, 'cli:x', 'team-a', 'space.delete', 'team-a', 'ok', '{}'), "
         "(2000, 'cli:x', 'team-a', 'space.create', 'team-a', 'ok', '{}'), "
         "(2000, 'cli:x', 'team-b', 'space.create', 'team-b', 'ok', '{}'), "
         "(100, 'cli:x', '', 'keys.init', 'k1', 'ok', '{}')",
        now;
  }
  StoreOptions o;
  o.data_dir = dir_;
  auto opened = Store::open(std::move(o));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  Store& store = **opened;
  EXPECT_GE(store.backend().schema_version(), 3);

  const std::string a = store.backend().get_space("team-a")->id;
  const std::string b = store.backend().get_space("team-b")->id;
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_NE(a, b);

  auto tokens = store.admin_tokens();
  EXPECT_EQ(tokens.authorize("vtr_new", Action::token_set, "team-a").verdict, Verdict::allow);
  EXPECT_EQ(tokens.authorize("vtr_old", Action::space_show, "team-a").verdict,
            Verdict::unauthenticated);
  EXPECT_EQ(tokens.authorize("vtr_plat", Action::space_list, "").verdict, Verdict::allow);
  auto rows = tokens.list();
  ASSERT_TRUE(rows.ok());
  for (const auto& r : *rows) {
    if (r.id == "told") {
      EXPECT_TRUE(r.space_id.empty());
      EXPECT_NE(r.revoked_at_ms, 0);
    } else if (r.id == "tnew") {
      EXPECT_EQ(r.space_id, a);
      EXPECT_EQ(r.revoked_at_ms, 0);
    }
  }

  AuditQuery all;
  all.space = "team-a";
  auto log = store.audit().query(all);
  ASSERT_TRUE(log.ok());
  int unbound = 0, current = 0, migration = 0;
  for (const auto& r : *log) {
    if (r.who == "migration:3") {
      ++migration;
      EXPECT_EQ(r.action, "admin-token.revoke");
      EXPECT_EQ(r.subject, "told");
    } else if (r.at_ms < 2000) {
      EXPECT_TRUE(r.space_id.empty()) << r.action << " at " << r.at_ms;
      ++unbound;
    } else {
      EXPECT_EQ(r.space_id, a) << r.action;
      ++current;
    }
  }
  EXPECT_EQ(unbound, 2);
  EXPECT_EQ(current, 1);
  EXPECT_EQ(migration, 1);
  auto mine = store.audit().query(*store.audit().current_generation("team-a"));
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->front().at_ms, 2000);

  // Append-only again: the trigger the migration lifted is back.
  Poco::Data::Session s("SQLite", db());
  EXPECT_THROW((s << "UPDATE audit SET who = 'x'", now), Poco::Exception);
}

}  // namespace
}  // namespace vitrine::store::testing
