// P5 P9: kill -9 of a process in the middle of a write loop leaves a
// consistent database: integrity_check is ok and exactly the committed
// transactions are there (each transaction writes 5 audit rows).
// SQLite only: it checks the database file after kill -9 (integrity_check); ordering of concurrent
// writers on every backend is in shared_writers_test.cpp.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"

namespace vitrine::store::testing {
namespace {

constexpr int kRowsPerTxn = 5;

[[noreturn]] void writer(const std::filesystem::path& dir, int fd) {
  StoreOptions o;
  o.data_dir = dir;
  auto s = Store::open(std::move(o));
  if (!s) _exit(3);
  for (int64_t n = 1;; ++n) {
    auto st = (*s)->backend().transaction([&]() -> Status {
      for (int i = 0; i < kRowsPerTxn; ++i) {
        AuditRow r;
        r.at_ms = n;
        r.who = "writer";
        r.action = "test.write";
        r.subject = std::to_string(n) + "/" + std::to_string(i);
        r.verdict = "ok";
        r.detail_json = "{}";
        auto id = (*s)->backend().append_audit(r);
        if (!id) return id.error();
      }
      return ok_status();
    });
    if (!st) _exit(4);
    if (::write(fd, &n, sizeof n) != sizeof n) _exit(5);  // after the commit returned
  }
}

TEST(P5_CrashSafety, KillNineDuringAWriteLoopLeavesAConsistentDatabase) {
  auto dir = make_temp_dir();
  {
    StoreOptions o;
    o.data_dir = dir;
    ASSERT_TRUE(Store::open(std::move(o)).ok());  // schema created before the race
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    writer(dir, fds[1]);
  }
  ::close(fds[1]);
  int64_t committed = 0, n = 0;
  while (committed < 150 && ::read(fds[0], &n, sizeof n) == sizeof n) committed = n;
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited on its own with " << WEXITSTATUS(status);
  while (::read(fds[0], &n, sizeof n) == sizeof n) committed = n;
  ::close(fds[0]);

  StoreOptions o;
  o.data_dir = dir;
  auto s = Store::open(std::move(o));
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto check = (*s)->backend().integrity_check();
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(*check, "ok");
  auto rows = (*s)->backend().count_audit();
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows % kRowsPerTxn, 0) << "a partial transaction is visible";
  // The kill can land after a commit and before its report: at most one more.
  EXPECT_GE(*rows / kRowsPerTxn, committed);
  EXPECT_LE(*rows / kRowsPerTxn, committed + 1);
  s->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vitrine::store::testing
