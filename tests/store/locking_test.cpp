// Writers wait for each other instead of failing with "database is locked"
// (docs/security/storage.md, "Locking and disk full"): write transactions
// start with BEGIN IMMEDIATE, so the busy timeout applies to them; writes
// outside a transaction wait too; a writer that really runs out of time says
// who holds the lock. One server per data directory (store/data_dir_lock.h).
// Two backends on one file are two SQLite connections, which lock each other
// exactly as two processes do.
// SQLite only: BEGIN IMMEDIATE, SQLite's busy handler and the data-dir lock; the same promises on
// every backend are in shared_writers_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "store/data_dir_lock.h"
#include "store/sqlite/sqlite_backend.h"
#include "test_support.h"

namespace vitrine::store::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class LockingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    ASSERT_FALSE(dir_.empty());
    db_ = dir_ / kSqliteFileName;
  }
  void TearDown() override {
    set_busy_timeout(kDefaultBusyTimeout);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::unique_ptr<Backend> open() {
    auto b = open_sqlite_backend(db_);
    EXPECT_TRUE(b.ok()) << (b ? "" : b.error().message);
    return b ? std::move(*b) : nullptr;
  }
  static SpaceRow space(const std::string& key) {
    SpaceRow r;
    r.key = key;
    r.display_name = key;
    r.created_by = "test";
    r.id = key + std::string(32 - key.size(), '0');
    return r;
  }
  static AuditRow audit_row(const std::string& action) {
    AuditRow r;
    r.who = "test";
    r.action = action;
    r.verdict = "ok";
    r.detail_json = "{}";
    return r;
  }
  // Holds the write lock of `b` for `hold` in a thread (a transaction that
  // has written); `locked` turns true once it holds it.
  std::thread hold_write_lock(Backend& b, milliseconds hold, std::atomic<bool>& locked,
                              const std::string& key) {
    return std::thread([&b, hold, &locked, key] {
      auto st = b.transaction([&]() -> Status {
        auto w = b.insert_space(space(key));
        locked = true;
        std::this_thread::sleep_for(hold);
        return w;
      });
      EXPECT_TRUE(st.ok()) << st.error().message;
    });
  }
  static void wait_for(const std::atomic<bool>& flag) {
    while (!flag) std::this_thread::sleep_for(milliseconds(1));
  }

  std::filesystem::path dir_;
  std::filesystem::path db_;
};

// The case: a transaction that reads first and writes later, while
// another connection writes. A deferred BEGIN failed at once with "database
// is locked"; BEGIN IMMEDIATE waits for the lock and then succeeds.
TEST_F(LockingTest, ReadThenWriteTransactionWaitsForTheWriteLockInsteadOfFailing) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  std::atomic<bool> locked{false};
  auto holder = hold_write_lock(*a, milliseconds(400), locked, "held");
  wait_for(locked);
  const auto start = Clock::now();
  auto st = b->transaction([&]() -> Status {
    auto rows = b->list_spaces();  // a read first: the deferred-upgrade case
    if (!rows) return rows.error();
    if (auto w = b->insert_space(space("waiter")); !w) return w;
    auto id = b->append_audit(audit_row("space.create"));
    if (!id) return id.error();
    return ok_status();
  });
  const auto waited = Clock::now() - start;
  holder.join();
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_GE(waited, milliseconds(250));  // it really waited for the holder
  EXPECT_TRUE(b->get_space("waiter").ok());
  EXPECT_TRUE(b->get_space("held").ok());
}

// A single statement outside a transaction (e.g. the audit row of a refused
// action) waits for the lock as well.
TEST_F(LockingTest, SingleStatementWriteOutsideATransactionWaitsForTheWriteLock) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  std::atomic<bool> locked{false};
  auto holder = hold_write_lock(*a, milliseconds(400), locked, "held");
  wait_for(locked);
  auto id = b->append_audit(audit_row("space.delete"));
  holder.join();
  ASSERT_TRUE(id.ok()) << id.error().message;
  auto n = b->count_audit();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
}

// When the deadline is really exceeded the error says so, how long it
// waited, and who holds the data directory (the pid from serve.lock).
TEST_F(LockingTest, BusyDeadlineErrorNamesTheServeLockHolderAndNothingIsWritten) {
  // A live process other than this one stands in for `vitrine serve`.
  const pid_t server = ::fork();
  ASSERT_GE(server, 0);
  if (server == 0) {
    ::pause();
    ::_exit(0);
  }
  std::ofstream(dir_ / kServeLockFileName) << server << "\n";
  auto a = open();
  set_busy_timeout(milliseconds(300));
  auto b = open();
  ASSERT_TRUE(a && b);
  std::atomic<bool> locked{false};
  auto holder = hold_write_lock(*a, milliseconds(1500), locked, "held");
  wait_for(locked);
  const auto start = Clock::now();
  auto st = b->transaction([&]() -> Status { return b->insert_space(space("late")); });
  const auto waited = Clock::now() - start;
  holder.join();
  ::kill(server, SIGKILL);
  ::waitpid(server, nullptr, 0);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(is_busy_error(st.error())) << st.error().message;
  EXPECT_EQ(st.error().code, Errc::io);
  EXPECT_NE(st.error().message.find("another process has held the write lock for 0.3 s"),
            std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("vitrine serve, pid " + std::to_string(server) +
                                    " holds the data-dir lock"),
            std::string::npos)
      << st.error().message;
  EXPECT_GE(waited, milliseconds(280));
  EXPECT_LT(waited, milliseconds(1400));  // the deadline, not the holder, ended the wait
  EXPECT_EQ(b->get_space("late").error().code, Errc::not_found);
}

// Nothing of a failed transaction stays, whatever failed in it.
TEST_F(LockingTest, FailedTransactionLeavesNothingBehind) {
  auto a = open();
  ASSERT_TRUE(a);
  auto st = a->transaction([&]() -> Status {
    if (auto w = a->insert_space(space("gone")); !w) return w;
    if (auto id = a->append_audit(audit_row("space.create")); !id) return id.error();
    return make_error(Errc::invalid, "refused after writing");
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(a->get_space("gone").error().code, Errc::not_found);
  EXPECT_EQ(*a->count_audit(), 0);
  // The connection is usable afterwards (no transaction left open).
  EXPECT_TRUE(a->transaction([&] { return a->insert_space(space("next")); }).ok());
}

// A burst of writes never leaves a large WAL behind: it is checkpointed and
// truncated once it reaches 1 MiB (SQLite alone would let it grow to ~4 MiB
// and never shrink it).
TEST_F(LockingTest, WalIsCheckpointedAndTruncatedDuringAWriteBurst) {
  auto a = open();
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->insert_space(space("burst")).ok());
  const auto wal = std::filesystem::path(db_.string() + "-wal");
  std::uintmax_t max_wal = 0;
  int truncations = 0;  // commits after which the WAL was 0 bytes
  for (int i = 0; i < 400; ++i) {
    CacheRow r;
    r.space = "burst";
    r.plugin_id = "p";
    r.key_hash = std::to_string(i);
    r.record = std::string(8192, 'x');
    r.size = 8192;
    ASSERT_TRUE(a->transaction([&] { return a->put_cache(r); }).ok());
    std::error_code ec;
    const auto size = std::filesystem::file_size(wal, ec);
    max_wal = std::max(max_wal, size);
    truncations += size == 0 ? 1 : 0;
  }
  std::error_code ec;
  const auto db_size = std::filesystem::file_size(db_, ec);
  std::cout << "[ measured ] 400 x 8 KiB writes: database " << db_size << " bytes, largest WAL "
            << max_wal << " bytes, WAL at the end " << std::filesystem::file_size(wal, ec)
            << " bytes, truncated to 0 bytes " << truncations << " times\n";
  EXPECT_GT(db_size, 400u * 8192u);  // the data reached the database file
  EXPECT_LT(max_wal, 2u * 1024 * 1024);
  EXPECT_GE(truncations, 2);
}

// Storage errors name their cause instead of one catch-all hint.
TEST_F(LockingTest, DamagedDatabaseErrorSaysItIsDamaged) {
  std::ofstream(db_, std::ios::binary) << std::string(8192, '\x5a');
  auto b = open_sqlite_backend(db_);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Errc::io);
  EXPECT_NE(b.error().message.find("the database " + db_.string() + " is damaged"),
            std::string::npos)
      << b.error().message;
  EXPECT_NE(b.error().message.find("restore"), std::string::npos);
  EXPECT_EQ(b.error().message.find("check disk space"), std::string::npos);
}

// ------------------------------------------------------------- serve lock

TEST_F(LockingTest, SecondServeLockOnOneDataDirIsRefusedNamingTheHolderPid) {
  auto first = DataDirLock::acquire(dir_);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(read_file(dir_ / kServeLockFileName), std::to_string(::getpid()) + "\n");
  auto second = DataDirLock::acquire(dir_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::conflict);
  EXPECT_NE(second.error().message.find("vitrine serve (pid " + std::to_string(::getpid()) + ")"),
            std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find("stop it first"), std::string::npos);
  EXPECT_EQ(serve_lock_holder(dir_), std::optional<long>(::getpid()));
}

TEST_F(LockingTest, ServeLockIsReleasedAndClearedWhenTheServerStops) {
  {
    auto first = DataDirLock::acquire(dir_);
    ASSERT_TRUE(first.ok());
  }
  EXPECT_EQ(read_file(dir_ / kServeLockFileName), "");
  EXPECT_EQ(serve_lock_holder(dir_), std::nullopt);
  auto again = DataDirLock::acquire(dir_);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->stale_pid(), std::nullopt);
}

// kill -9 leaves the pid in the file, but the kernel drops the flock: the
// next server takes the directory over and knows whose lock it was.
TEST_F(LockingTest, StaleServeLockOfAKilledServerIsTakenOver) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = DataDirLock::acquire(dir_);
    char c = lock.ok() ? 'y' : 'n';
    (void)::write(ready[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto refused = DataDirLock::acquire(dir_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("pid " + std::to_string(child)), std::string::npos);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_EQ(read_file(dir_ / kServeLockFileName), std::to_string(child) + "\n");
  auto taken = DataDirLock::acquire(dir_);
  ASSERT_TRUE(taken.ok()) << taken.error().message;
  EXPECT_EQ(taken->stale_pid(), std::optional<long>(child));
  EXPECT_EQ(read_file(dir_ / kServeLockFileName), std::to_string(::getpid()) + "\n");
}

}  // namespace
}  // namespace vitrine::store::testing
