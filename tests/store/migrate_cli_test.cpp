// `vitrine store migrate --to postgres://...` through the real binary: an
// SQLite installation is copied with progress on stderr and a per-table
// digest on stdout, a second run into the same database is refused with
// exit 1, and the CLI then works on the PostgreSQL store with the same
// keyring (--store-url).
#include "binary_run.h"
#include "pg_server.h"

namespace vitrine::store::testing {
namespace {

class StoreMigrateCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    server_ = PgServer::get(&why);
    if (server_ == nullptr) GTEST_SKIP() << why;
    dir_ = make_temp_dir();
    key_file_ = dir_.parent_path() / (dir_.filename().string() + ".keys");
    auto ring = generated_keyring();
    ASSERT_TRUE(ring.create_file(key_file_).ok());
    StoreOptions o;
    o.data_dir = dir_;
    o.keyring = std::move(ring);
    auto s = Store::open(std::move(o));
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_TRUE((*s)->spaces().create("test", "team-a", "Team A").ok());
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::remove(key_file_, ec);
  }

  PgServer* server_ = nullptr;
  std::filesystem::path dir_;
  std::filesystem::path key_file_;
};

TEST_F(StoreMigrateCli, CopiesVerifiesRefusesASecondRunAndTheCliWorksOnTheCopy) {
  const std::string url = server_->create_database();
  auto run = run_vitrine({"--data-dir", dir_.string(), "store", "migrate", "--to", url});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.err.find("store migrate: copied spaces: 1 rows"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("store migrate: verified audit:"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("spaces"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("copied and verified"), std::string::npos) << run.out;

  auto again = run_vitrine({"--data-dir", dir_.string(), "store", "migrate", "--to", url});
  EXPECT_EQ(again.status, 1) << again.err;
  EXPECT_NE(again.err.find("the target database is not empty (spaces (1)"), std::string::npos)
      << again.err;

  auto list = run_vitrine({"--data-dir", dir_.string(), "--key-file", key_file_.string(),
                           "--store-url", url, "spaces", "list"});
  ASSERT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find("team-a"), std::string::npos) << list.out;
}

TEST_F(StoreMigrateCli, ANonPostgresTargetAndAMissingSourceAreRefused) {
  auto bad = run_vitrine(
      {"--data-dir", dir_.string(), "store", "migrate", "--to", "mysql://u:secret@db/v"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("is not a PostgreSQL URL"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("secret"), std::string::npos) << bad.err;
  auto missing = run_vitrine({"--data-dir", (dir_ / "nothing-here").string(), "store", "migrate",
                              "--to", server_->create_database()});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("no SQLite store at"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace vitrine::store::testing
