// Desired-state changes reach every host fast: on PostgreSQL every change
// feed bump sends NOTIFY at commit, and another store's wait_for_change()
// wakes on it through a listen connection of its own; the period poll stays
// the safety net (reconcile/reconciler.h). SQLite has no announcement and
// polls (store/backend.h says why).
//
// No timing asserts: a wait that was woken answers true, one that ran out
// answers false, and every deadline here is generous.
#include <libpq-fe.h>

#include <chrono>
#include <future>
#include <thread>

#include "backend_test_support.h"
#include "metrics/metrics.h"
#include "reconcile/reconciler.h"

namespace vitrine::store::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ChangeNotify : public BackendTest {
 protected:
  // The first column of the first row of `sql`, run behind the store's back;
  // empty when there is none.
  std::string raw_value(const std::string& sql) {
    PGconn* c = PQconnectdb(url_.c_str());
    std::string out;
    if (PQstatus(c) == CONNECTION_OK) {
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
      PQclear(r);
    }
    PQfinish(c);
    return out;
  }

  std::string listen_pid() {
    return raw_value(
        "SELECT pid::text FROM pg_stat_activity WHERE application_name = 'vitrine-listen' AND "
        "datname = current_database()");
  }

  int64_t feed_seq(Store& s) {
    auto feed = s.backend().read_change_feed();
    EXPECT_TRUE(feed.ok());
    return feed.ok() ? feed->seq : -1;
  }
};

TEST_P(ChangeNotify, AWriteOnOneHostWakesTheOtherHostsWaitBeforeItsTimeout) {
  auto other = open_another();
  ASSERT_TRUE(other);
  if (!on_postgres()) {
    // The documented fallback: nothing announces, the wait runs out.
    EXPECT_FALSE(other->backend().announces_changes());
    auto w = other->backend().wait_for_change(milliseconds(10));
    ASSERT_TRUE(w.ok());
    EXPECT_FALSE(*w);
    return;
  }
  ASSERT_TRUE(other->backend().announces_changes());
  // Opens the listen connection; nothing has been announced yet.
  auto primed = other->backend().wait_for_change(milliseconds(0));
  ASSERT_TRUE(primed.ok()) << primed.error().message;
  EXPECT_FALSE(*primed);
  auto waited =
      std::async(std::launch::async, [&] { return other->backend().wait_for_change(seconds(5)); });
  ASSERT_TRUE(store_->spaces().create("t", "team-a", "").ok());
  auto w = waited.get();
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_TRUE(*w) << "the wait ran out: the commit was not announced";
  // The store stayed usable while the other thread waited.
  EXPECT_TRUE(other->backend().get_space("team-a").ok());
}

TEST_P(ChangeNotify, ARolledBackChangeIsNotAnnounced) {
  if (!on_postgres()) GTEST_SKIP() << "SQLite announces nothing at all (polling fallback)";
  auto other = open_another();
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->backend().wait_for_change(milliseconds(0)).ok());
  const int64_t before = feed_seq(*store_);
  auto st = store_->backend().transaction([&]() -> Status {
    if (auto bumped = store_->backend().bump_change_feed(false, 1); !bumped) return bumped;
    return make_error(Errc::invalid, "rolled back on purpose");
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(feed_seq(*store_), before);
  auto w = other->backend().wait_for_change(milliseconds(300));
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_FALSE(*w) << "a rolled-back bump was announced";
  // The channel itself works: a committed bump is announced.
  ASSERT_TRUE(store_->backend().bump_change_feed(false, 2).ok());
  auto committed = other->backend().wait_for_change(seconds(5));
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_TRUE(*committed);
}

TEST_P(ChangeNotify, ALostListenConnectionFallsBackToTheFeedAndIsOpenedAgain) {
  if (!on_postgres()) GTEST_SKIP() << "SQLite has no listen connection (polling fallback)";
  auto other = open_another();
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->backend().wait_for_change(milliseconds(0)).ok());
  const std::string killed = listen_pid();
  ASSERT_FALSE(killed.empty()) << "no vitrine-listen connection in pg_stat_activity";
  ASSERT_EQ(raw_value("SELECT pg_terminate_backend(" + killed + ")::text"), "true");
  // Until the server has let go of it, a change could still reach it.
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (listen_pid() == killed && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_NE(listen_pid(), killed);

  const int64_t before = feed_seq(*other);
  ASSERT_TRUE(store_->spaces().create("t", "team-a", "").ok());
  auto lost = other->backend().wait_for_change(seconds(5));
  ASSERT_FALSE(lost.ok()) << "a terminated listen connection was not noticed";
  EXPECT_NE(lost.error().message.find("polling the change feed"), std::string::npos)
      << lost.error().message;
  // The feed row is the truth: the change is seen without the announcement.
  EXPECT_GT(feed_seq(*other), before);

  // The next wait opens a new listen connection; it answers true at once
  // because announcements made while it was down are lost.
  auto reopened = other->backend().wait_for_change(seconds(5));
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_TRUE(*reopened);
  const std::string now_listening = listen_pid();
  EXPECT_FALSE(now_listening.empty());
  EXPECT_NE(now_listening, killed);
  ASSERT_TRUE(store_->spaces().create("t", "team-b", "").ok());
  auto woke = other->backend().wait_for_change(seconds(5));
  ASSERT_TRUE(woke.ok()) << woke.error().message;
  EXPECT_TRUE(*woke) << "the reopened listen connection was not announced the change";
}

TEST_P(ChangeNotify, AChangeOnOneHostReachesTheOtherHostsReconciler) {
  auto other = open_another();
  ASSERT_TRUE(other);
  metrics::Registry metrics;
  // On PostgreSQL the period is far longer than the deadline below, so only
  // the announcement can bring the change in time; SQLite polls.
  const milliseconds period = on_postgres() ? milliseconds(600'000) : milliseconds(50);
  reconcile::Reconciler r(*other, &metrics, period);
  int applies = 0;
  r.on_change([&] {
    ++applies;
    return std::string();
  });
  r.start();
  ASSERT_TRUE(store_->spaces().create("t", "team-a", "").ok());
  const int64_t want = feed_seq(*store_);
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (r.status().applied_seq < want && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_GE(r.status().applied_seq, want);
  EXPECT_TRUE(r.status().converged()) << r.status().error;
  r.stop();
  EXPECT_GE(applies, 1);
  const std::string exposed = metrics.expose();
  EXPECT_NE(exposed.find(on_postgres() ? "vitrine_reconcile_wakes_total{by=\"notify\"}"
                                       : "vitrine_reconcile_wakes_total{by=\"poll\"}"),
            std::string::npos)
      << exposed;
}

TEST_P(ChangeNotify, TheReconcilerSaysWhatWakesItAndWhenTheListenConnectionIsDown) {
  auto other = open_another();
  ASSERT_TRUE(other);
  reconcile::Reconciler r(*other, nullptr, milliseconds(50));
  r.start();
  if (!on_postgres()) {
    EXPECT_EQ(r.status().wake, "poll");
    return;
  }
  EXPECT_EQ(r.status().wake, "notify");
  const std::string killed = listen_pid();
  ASSERT_FALSE(killed.empty()) << "no vitrine-listen connection in pg_stat_activity";
  ASSERT_EQ(raw_value("SELECT pg_terminate_backend(" + killed + ")::text"), "true");
  // The next wait notices the loss and says so; readiness is not touched.
  auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (r.status().wake.rfind("poll: ", 0) != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  const reconcile::Status down = r.status();
  EXPECT_EQ(down.wake.rfind("poll: ", 0), 0u) << down.wake;
  EXPECT_NE(down.wake.find("change notification connection"), std::string::npos) << down.wake;
  // A change still arrives, by the poll.
  ASSERT_TRUE(store_->spaces().create("t", "team-a", "").ok());
  const int64_t want = feed_seq(*store_);
  // The connection is opened again on a later wait.
  deadline = std::chrono::steady_clock::now() + seconds(10);
  while ((r.status().wake != "notify" || r.status().applied_seq < want) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(r.status().wake, "notify");
  EXPECT_GE(r.status().applied_seq, want);
  EXPECT_TRUE(r.status().converged()) << r.status().error;
  EXPECT_NE(listen_pid(), killed);
  r.stop();
}

VITRINE_ON_EVERY_BACKEND(ChangeNotify);

}  // namespace
}  // namespace vitrine::store::testing
