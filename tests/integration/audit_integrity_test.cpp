// P9 through the real binaries (docs/security/storage.md, "Audit"): a full
// disk under `vitrine serve` fails admin actions with a clear 5xx, turns
// /readyz unready and is counted in /metrics; a copy of the database that
// lost its WAL (the newest commits) is caught by `vitrine audit verify`
// against a signed checkpoint.
#include <gmock/gmock.h>

#include <cstdlib>
#include <filesystem>

#include "serve_process.h"
#include "store/crypto/keyring.h"
#include "store/store.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace vitrine::testing {
namespace {

class AuditIntegrity : public ServedHost {
 protected:
  // Opens the data directory capped at its current size (SQLite's
  // max_page_count: writes beyond fail with SQLITE_FULL, as on a full disk)
  // and appends audit rows, smaller and smaller, until none fits.
  void fill_audit_to_the_cap() {
    auto ring = store::crypto::Keyring::load_file(key_file_);
    ASSERT_TRUE(ring.ok());
    store::StoreOptions o;
    o.data_dir = config_.data_dir;
    o.keyring = std::move(*ring);
    ::setenv("VITRINE_DB_MAX_PAGES", "1", 1);
    auto s = store::Store::open(std::move(o));
    ::unsetenv("VITRINE_DB_MAX_PAGES");
    ASSERT_TRUE(s.ok()) << s.error().message;
    store::Result<int64_t> last = int64_t{0};
    for (std::size_t size : {400, 100, 20, 1}) {
      last = int64_t{0};
      for (int i = 0; i < 5000 && last.ok(); ++i) {
        last = (*s)->audit().record({"test", "", "test.fill", std::string(size, 'f'), "ok", {}});
      }
    }
    ASSERT_FALSE(last.ok()) << "the capped database never filled";
  }
};

TEST_F(AuditIntegrity, P9_AFullDiskFailsTheAdminActionMakesServeUnreadyAndIsCounted) {
  const std::string admin = create_token("platform-admin");
  fill_audit_to_the_cap();
  ::setenv("VITRINE_DB_MAX_PAGES", "1", 1);  // inherited by `vitrine serve`
  start_server();
  ::unsetenv("VITRINE_DB_MAX_PAGES");

  Http off = http(port_, "DELETE", "/api/v1/spaces/demo/plugins/alert_list", admin);
  EXPECT_EQ(off.status, 500) << off.body;
  EXPECT_THAT(off.body, HasSubstr("[audit-write-failed] the action was not done"));

  Http ready = http(port_, "GET", "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_THAT(ready.body, HasSubstr("\"audit\":{\"ok\":false"));
  EXPECT_THAT(ready.body, HasSubstr("audit-write-failed"));

  Http metrics = http(port_, "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const auto at = metrics.body.find("\nvitrine_audit_write_failures_total ");
  ASSERT_NE(at, std::string::npos) << metrics.body;
  EXPECT_GE(std::atof(metrics.body.c_str() + at + 36), 1.0) << metrics.body.substr(at, 60);

  // The action did not happen: the plugin is still enabled.
  stop_server();
  const auto listed = run(cli() + " audit --space demo --format json");
  EXPECT_THAT(listed.output, Not(HasSubstr("\"plugin.disable\"")));
  auto ring = store::crypto::Keyring::load_file(key_file_);
  store::StoreOptions o;
  o.data_dir = config_.data_dir;
  o.keyring = std::move(*ring);
  auto s = store::Store::open(std::move(o));
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto enabled = (*s)->approvals().enabled("demo");
  ASSERT_TRUE(enabled.ok());
  bool still = false;
  for (const auto& r : *enabled) still = still || r.plugin_id == "alert_list";
  EXPECT_TRUE(still);
}

TEST_F(AuditIntegrity, P9_VerifyCatchesACopyThatLostItsWalAgainstACheckpoint) {
  const std::string admin = create_token("platform-admin");
  start_server();
  // Admin actions through the server: their rows sit in its WAL.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(http(port_, "DELETE", "/api/v1/spaces/demo/plugins/alert_list", admin).status, 200);
    ASSERT_EQ(http(port_, "PUT", "/api/v1/spaces/demo/plugins/alert_list", admin).status, 200);
  }
  const auto cp = dir_ / "checkpoint.json";
  auto made = run(cli() + " audit checkpoint --out " + cp.string());
  ASSERT_EQ(made.status, 0) << made.output;

  const auto data = config_.data_dir;
  const auto wal = data / "vitrine.db-wal";
  ASSERT_TRUE(std::filesystem::exists(wal));
  ASSERT_GT(std::filesystem::file_size(wal), 32u) << "the rows are not in the WAL";
  auto copy_without_wal = [&](const std::filesystem::path& to, std::uintmax_t wal_bytes) {
    std::filesystem::copy(data, to, std::filesystem::copy_options::recursive);
    std::filesystem::remove(to / "vitrine.db-shm");
    if (wal_bytes == 0) {
      std::filesystem::remove(to / "vitrine.db-wal");
    } else {
      std::filesystem::resize_file(to / "vitrine.db-wal", wal_bytes);
    }
  };
  auto verify = [&](const std::filesystem::path& dir) {
    return run(std::string(VITRINE_CLI_PATH) + " --data-dir " + dir.string() + " --key-file " +
               key_file_.string() + " audit verify --checkpoint " + cp.string());
  };

  // The live database verifies against its checkpoint.
  auto live = verify(data);
  EXPECT_EQ(live.status, 0) << live.output;
  EXPECT_THAT(live.output, HasSubstr("audit chain: ok"));

  // Copied without its WAL: the newest commits are gone.
  copy_without_wal(dir_ / "no-wal", 0);
  auto lost = verify(dir_ / "no-wal");
  EXPECT_EQ(lost.status, 1) << lost.output;
  EXPECT_THAT(lost.output, HasSubstr("cut short"));

  // A WAL truncated half-way: SQLite drops the frames after the cut.
  copy_without_wal(dir_ / "half-wal", std::filesystem::file_size(wal) / 2);
  auto half = verify(dir_ / "half-wal");
  EXPECT_EQ(half.status, 1) << half.output;
  EXPECT_THAT(half.output, HasSubstr("cut short"));
}

}  // namespace
}  // namespace vitrine::testing
