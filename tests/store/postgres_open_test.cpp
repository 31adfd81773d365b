// Opening a PostgreSQL store (store/postgres/postgres_backend.h): versioned
// migrations applied once even by hosts starting together, a newer schema
// refused with what to do, a database without vitrine's schema refused for an
// initialised data directory, and the password file held to the keyring
// file's rules; a server restarted under a running store is reconnected.
// PostgreSQL only by nature; the SQLite counterparts are in
// fail_closed_test.cpp and space_id_migration_test.cpp.
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "backend_test_support.h"
#include "store/audit_chain.h"
#include "store/postgres/postgres_backend.h"

namespace vitrine::store::testing {
namespace {

class PostgresOpen : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    server_ = PgServer::get(&why);
    if (server_ == nullptr) GTEST_SKIP() << why;
    dir_ = make_temp_dir();
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  Result<std::unique_ptr<Store>> open_store(const std::string& url, bool allow_init = false,
                                            const std::filesystem::path& password_file = {}) {
    StoreOptions o;
    o.data_dir = dir_;
    o.backend = "postgres";
    o.url = url;
    o.password_file = password_file;
    o.allow_init = allow_init;
    return Store::open(std::move(o));
  }
  static bool raw(const std::string& url, const std::string& sql) {
    PGconn* c = PQconnectdb(url.c_str());
    bool ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
      PGresult* r = PQexec(c, sql.c_str());
      ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
      PQclear(r);
    }
    PQfinish(c);
    return ok;
  }
  std::filesystem::path write_password(const std::string& text, mode_t mode) {
    const auto p = dir_.parent_path() / (dir_.filename().string() + ".dbpw");
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    files_.push_back(p);
    return p;
  }
  ~PostgresOpen() override {
    for (const auto& f : files_) std::filesystem::remove(f);
  }

  PgServer* server_ = nullptr;
  std::filesystem::path dir_;
  std::vector<std::filesystem::path> files_;
};

TEST_F(PostgresOpen, ASchemaNewerThanThisBinaryIsRefusedWithWhatToDo) {
  const std::string url = server_->create_database();
  ASSERT_TRUE(open_store(url).ok());
  const int next = postgres_schema_version_known() + 1;
  ASSERT_TRUE(raw(url, "INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                           std::to_string(next) + ", 0)"));
  auto s = open_store(url);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::io);
  EXPECT_NE(s.error().message.find("schema version " + std::to_string(next)), std::string::npos)
      << s.error().message;
  EXPECT_NE(s.error().message.find("upgrade vitrine"), std::string::npos) << s.error().message;
}

TEST_F(PostgresOpen, HostsStartingTogetherApplyEachMigrationOnce) {
  const std::string url = server_->create_database();
  constexpr int kHosts = 4;
  std::vector<std::thread> hosts;
  std::vector<std::string> errors(kHosts);
  for (int i = 0; i < kHosts; ++i) {
    hosts.emplace_back([&, i] {
      PostgresOptions po;
      po.url = url;
      auto b = open_postgres_backend(po);
      if (!b) errors[static_cast<size_t>(i)] = b.error().message;
    });
  }
  for (auto& h : hosts) h.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  PostgresOptions po;
  po.url = url;
  auto b = open_postgres_backend(po);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ((*b)->schema_version(), postgres_schema_version_known());
  EXPECT_TRUE(raw(url, "DO $$ BEGIN IF (SELECT COUNT(*) FROM schema_migrations) <> " +
                           std::to_string(postgres_schema_version_known()) +
                           " THEN RAISE EXCEPTION 'migrations applied twice'; END IF; END $$"));
  auto feed = (*b)->read_change_feed();
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(feed->seq, 0);
}

TEST_F(PostgresOpen, AnInitialisedDataDirectoryRefusesADatabaseWithoutItsSchema) {
  ASSERT_TRUE(open_store(server_->create_database()).ok());  // writes the INSTANCE marker
  const std::string empty = server_->create_database();
  auto s = open_store(empty);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("has no vitrine schema"), std::string::npos)
      << s.error().message;
  EXPECT_NE(s.error().message.find("--init"), std::string::npos) << s.error().message;
  EXPECT_TRUE(open_store(empty, /*allow_init=*/true).ok());
}

TEST_F(PostgresOpen, ThePasswordComesFromAFileWithTheKeyringFilesRules) {
  const std::string db = server_->create_database();
  const std::string url = server_->url(db.substr(db.rfind('/') + 1), PgServer::kPasswordRole);
  // Without the password the server refuses the role.
  auto none = open_store(url, true);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("cannot connect"), std::string::npos) << none.error().message;
  // Group- or world-readable: refused before it is used.
  auto loose = open_store(url, true, write_password(PgServer::kPassword, 0644));
  ASSERT_FALSE(loose.ok());
  EXPECT_EQ(loose.error().code, Errc::key);
  EXPECT_NE(loose.error().message.find("chmod 600"), std::string::npos) << loose.error().message;
  // A wrong password: the message never shows what the file holds.
  auto wrong = open_store(url, true, write_password("not-the-password\n", 0600));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message.find("not-the-password"), std::string::npos);
  auto good = open_store(url, true, write_password(std::string(PgServer::kPassword) + "\n", 0600));
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_TRUE((*good)->backend().ping().ok());
}

TEST_F(PostgresOpen, ARestartedServerIsReconnectedAndNoAcknowledgedWriteIsLost) {
  const std::string url = server_->create_database();
  StoreOptions o;
  o.data_dir = dir_;
  o.backend = "postgres";
  o.url = url;
  o.keyring = generated_keyring();
  auto s = Store::open(std::move(o));
  ASSERT_TRUE(s.ok()) << s.error().message;
  Store& store = **s;
  ASSERT_TRUE(store.spaces().create("t", "before", "").ok());

  ASSERT_TRUE(server_->stop_server());
  auto down = store.spaces().create("t", "while-down", "");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, Errc::io);
  EXPECT_NE(down.error().message.find("cannot reach the PostgreSQL database"), std::string::npos)
      << down.error().message;
  EXPECT_NE(down.error().message.find("vitrine reconnects by itself"), std::string::npos)
      << down.error().message;
  EXPECT_FALSE(store.backend().ping().ok());

  std::string why;
  ASSERT_TRUE(server_->start_server(&why)) << why;
  // The same store object, without reopening: the next call reconnects.
  EXPECT_TRUE(store.backend().ping().ok());
  auto after = store.spaces().create("t", "after", "");
  ASSERT_TRUE(after.ok()) << after.error().message;
  auto spaces = store.backend().list_spaces();
  ASSERT_TRUE(spaces.ok());
  std::vector<std::string> keys;
  for (const auto& sp : *spaces) keys.push_back(sp.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"after", "before"}));
  auto rep = verify_audit_chain(store.backend(), {});
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_TRUE(rep->ok) << rep->problem;
}

TEST(PostgresUrl, APasswordInAUrlIsNeverShown) {
  EXPECT_EQ(redact_postgres_url("postgres://u:secret@db:5432/v?sslmode=require"),
            "postgres://u:***@db:5432/v?sslmode=require");
  EXPECT_EQ(redact_postgres_url("postgres://u@db/v"), "postgres://u@db/v");
  EXPECT_EQ(redact_postgres_url("postgres://db/v"), "postgres://db/v");
}

}  // namespace
}  // namespace vitrine::store::testing
