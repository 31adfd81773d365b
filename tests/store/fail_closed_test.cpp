// Fail closed at start (docs/admin.md "Starting and checking"): a data
// directory that was initialised never starts from an empty database by
// accident, and a damaged database is refused, by `vitrine serve` and by
// the CLI alike, through the real binary. `vitrine store check` reports.
#include <gtest/gtest.h>

#include <fstream>

#include "binary_run.h"
#include "store/instance_marker.h"

namespace vitrine::store::testing {
namespace {

namespace fs = std::filesystem;

// Any well-formed key will do; the data is created with it.
const std::map<std::string, std::string> kEnv = {
    {crypto::kMasterKeyEnv, "dGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY="}};

class FailClosed : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    data_ = dir_ / "data";
    fs::create_directories(dir_ / "plugins");
    std::ofstream(dir_ / "vitrine.yml") << "listen: 127.0.0.1:0\ndata_dir: data\n"
                                        << "plugins_dir: plugins\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  BinaryRun cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data_.string()});
    return run_vitrine(args, "", kEnv);
  }
  BinaryRun serve(bool& served, bool init = false) {
    std::vector<std::string> args = {"serve", "--config", (dir_ / "vitrine.yml").string()};
    if (init) args.push_back("--init");
    return run_serve_briefly(args, kEnv, served);
  }
  void remove_database() {
    for (const char* f : {"vitrine.db", "vitrine.db-wal", "vitrine.db-shm"}) fs::remove(data_ / f);
  }
  // A database of a few MB: a space and thousands of audit rows.
  void fill_database() {
    StoreOptions o;
    o.data_dir = data_;
    auto s = Store::open(o);
    ASSERT_TRUE(s) << s.error().message;
    auto st = (*s)->backend().transaction([&]() -> Status {
      for (int i = 0; i < 12000; ++i) {
        auto id = (*s)->audit().record(
            {"test", "", "test.fill", "row-" + std::to_string(i), "ok",
             Detail{{"pad", std::string(200, static_cast<char>('a' + i % 26)), false}}});
        if (!id) return id.error();
      }
      return ok_status();
    });
    ASSERT_TRUE(st) << st.error().message;
  }
  // A few bytes of garbage over a page header in the middle of the file.
  void damage_database() {
    const auto db = data_ / "vitrine.db";
    const auto size = fs::file_size(db);
    ASSERT_GT(size, 2u << 20) << "the database must be large enough to damage its middle";
    const auto page = (size / 2) / 4096 * 4096;
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(page));
    f.write("\xff\xee\xdd\xcc garbage \xff\xee\xdd\xcc", 18);
  }

  fs::path dir_, data_;
};

TEST_F(FailClosed, ANewDataDirectoryStartsWithoutAFlagAndGetsAMarker) {
  bool served = false;
  auto r = serve(served);
  EXPECT_TRUE(served) << r.err;
  auto marker = read_instance_marker(data_);
  ASSERT_TRUE(marker.has_value());
  EXPECT_EQ(marker->id.size(), 32u);
  EXPECT_FALSE(marker->created.empty());
  // The marker is not rewritten by later opens.
  ASSERT_EQ(cli({"spaces", "list"}).status, 0);
  EXPECT_EQ(read_instance_marker(data_)->id, marker->id);
}

TEST_F(FailClosed, ADeletedDatabaseIsRefusedByServeAndTheCli) {
  ASSERT_EQ(cli({"spaces", "create", "team-a"}).status, 0);
  remove_database();
  bool served = false;
  auto r = serve(served);
  EXPECT_FALSE(served);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("was initialised on " + read_instance_marker(data_)->created),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("vitrine.db is missing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pass --init"), std::string::npos) << r.err;
  auto c = cli({"spaces", "list"});
  EXPECT_EQ(c.status, 2) << c.err;
  EXPECT_NE(c.err.find("vitrine.db is missing"), std::string::npos) << c.err;
  // Refusing created nothing.
  EXPECT_FALSE(fs::exists(data_ / "vitrine.db"));
}

TEST_F(FailClosed, AZeroByteDatabaseIsRefused) {
  ASSERT_EQ(cli({"spaces", "create", "team-a"}).status, 0);
  remove_database();
  std::ofstream(data_ / "vitrine.db").close();
  bool served = false;
  auto r = serve(served);
  EXPECT_FALSE(served);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("vitrine.db is empty (0 bytes)"), std::string::npos) << r.err;
  EXPECT_EQ(fs::file_size(data_ / "vitrine.db"), 0u);
}

TEST_F(FailClosed, InitIsTheExplicitWayToStartEmpty) {
  ASSERT_EQ(cli({"spaces", "create", "team-a"}).status, 0);
  remove_database();
  bool served = false;
  auto r = serve(served, /*init=*/true);
  EXPECT_TRUE(served) << r.err;
  auto list = cli({"spaces", "list"});
  EXPECT_EQ(list.status, 0) << list.err;
  EXPECT_EQ(list.out.find("team-a"), std::string::npos) << list.out;
}

// Directories from before markers existed get one on their next open, and
// are protected from then on.
TEST_F(FailClosed, AnExistingDirectoryWithoutMarkerGetsOne) {
  ASSERT_EQ(cli({"spaces", "create", "team-a"}).status, 0);
  fs::remove(data_ / kInstanceFileName);
  ASSERT_EQ(cli({"spaces", "list"}).status, 0);
  EXPECT_TRUE(read_instance_marker(data_).has_value());
  remove_database();
  EXPECT_EQ(cli({"spaces", "list"}).status, 2);
}

TEST_F(FailClosed, DamagedPagesAreRefusedAtStart) {
  fill_database();
  damage_database();
  bool served = false;
  auto r = serve(served);
  EXPECT_FALSE(served);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("damaged"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((data_ / "vitrine.db").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("vitrine store check --data-dir"), std::string::npos) << r.err;
  auto c = cli({"spaces", "list"});
  EXPECT_EQ(c.status, 2) << c.err;
  EXPECT_NE(c.err.find("damaged"), std::string::npos) << c.err;
}

TEST_F(FailClosed, StoreCheckSaysOkOnAGoodDatabaseAndListsDamage) {
  fill_database();
  auto good = cli({"store", "check"});
  EXPECT_EQ(good.status, 0) << good.out << good.err;
  EXPECT_NE(good.out.find("ok: "), std::string::npos) << good.out;
  damage_database();
  auto bad = cli({"store", "check"});
  EXPECT_EQ(bad.status, 1) << bad.out << bad.err;
  EXPECT_NE(bad.out.find("problem: "), std::string::npos) << bad.out;
  EXPECT_EQ(bad.out.find("ok: "), std::string::npos) << bad.out;
}

TEST_F(FailClosed, StoreCheckWithoutADatabaseFailsAndCreatesNone) {
  auto r = cli({"store", "check"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("no database"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(data_ / "vitrine.db"));
}

}  // namespace
}  // namespace vitrine::store::testing
