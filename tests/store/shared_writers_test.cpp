// Several writers on one store (the CLI beside a server, or several hosts on
// one PostgreSQL database): every write transaction takes the store's write
// lock first, so concurrent writers lose nothing, audit ids are unique and
// ordered, and the audit chain links every row to exactly one predecessor.
#include <future>
#include <thread>

#include "backend_test_support.h"
#include "store/audit_chain.h"
#include "store/sqlite/sqlite_backend.h"

namespace vitrine::store::testing {
namespace {

// Each writer is another process's view of the same store (open_another).
class SharedWriters : public BackendTest {};

TEST_P(SharedWriters, ConcurrentWritersLoseNothingAndTheAuditChainStaysWhole) {
  constexpr int kWriters = 3;
  constexpr int kSpacesEach = 15;
  std::vector<std::unique_ptr<Store>> stores;
  for (int w = 0; w < kWriters; ++w) {
    stores.push_back(open_another());
    ASSERT_TRUE(stores.back());
  }
  auto before = store_->backend().count_audit();
  ASSERT_TRUE(before.ok());
  std::vector<std::thread> threads;
  std::vector<int> failures(kWriters, 0);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto sp = stores[static_cast<size_t>(w)]->spaces();
      for (int i = 0; i < kSpacesEach; ++i) {
        const std::string key = "w" + std::to_string(w) + "-s" + std::to_string(i);
        if (!sp.create("writer-" + std::to_string(w), key, "").ok())
          ++failures[static_cast<size_t>(w)];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int w = 0; w < kWriters; ++w) EXPECT_EQ(failures[static_cast<size_t>(w)], 0) << w;

  auto spaces = store_->backend().list_spaces();
  ASSERT_TRUE(spaces.ok());
  EXPECT_EQ(spaces->size(), static_cast<size_t>(kWriters * kSpacesEach));
  auto rows = store_->backend().audit_rows_after(0, 100000);
  ASSERT_TRUE(rows.ok());
  EXPECT_GE(static_cast<int64_t>(rows->size()), *before + kWriters * kSpacesEach);
  for (size_t i = 1; i < rows->size(); ++i) {
    EXPECT_LT((*rows)[i - 1].id, (*rows)[i].id);
  }
  auto rep = verify_audit_chain(store_->backend(), {});
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_TRUE(rep->ok) << rep->problem;
}

TEST_P(SharedWriters, AWriteOfOneWriterIsSeenByTheOthersChangeFeed) {
  auto other = open_another();
  ASSERT_TRUE(other);
  auto seen = other->backend().read_change_feed();
  ASSERT_TRUE(seen.ok());
  ASSERT_TRUE(store_->spaces().create("t", "team-a", "").ok());
  auto now = other->backend().read_change_feed();
  ASSERT_TRUE(now.ok());
  EXPECT_GT(now->seq, seen->seq);
  auto row = other->backend().get_space("team-a");
  ASSERT_TRUE(row.ok()) << row.error().message;
  EXPECT_EQ(row->id, store_->backend().get_space("team-a")->id);
}

TEST_P(SharedWriters, AWriterWaitingPastTheBusyTimeoutFailsAsBusyAndWritesNothing) {
  set_busy_timeout(std::chrono::milliseconds(200));
  auto other = open_another();
  set_busy_timeout(kDefaultBusyTimeout);
  ASSERT_TRUE(other);
  std::promise<void> holding, attempted;
  std::thread holder([&] {
    // Holds the write lock until the other writer has given up.
    auto st = store_->backend().transaction([&]() -> Status {
      holding.set_value();
      attempted.get_future().wait();
      return ok_status();
    });
    EXPECT_TRUE(st.ok());
  });
  holding.get_future().wait();
  auto created = other->spaces().create("t", "team-a", "");
  attempted.set_value();
  holder.join();
  ASSERT_FALSE(created.ok());
  EXPECT_TRUE(is_busy_error(created.error())) << created.error().message;
  EXPECT_NE(created.error().message.find("nothing was written"), std::string::npos)
      << created.error().message;
  EXPECT_EQ(store_->backend().get_space("team-a").error().code, Errc::not_found);
}

VITRINE_ON_EVERY_BACKEND(SharedWriters);

}  // namespace
}  // namespace vitrine::store::testing
