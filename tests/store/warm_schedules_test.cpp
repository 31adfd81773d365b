// Scheduled cache warming in the store (store/warm_schedules.h): the rule
// table, the audited desired-state write, and the claim that lets exactly
// one host run each due warming. Two Store instances on one database are
// two hosts.
#include "store/warm_schedules.h"

#include <atomic>
#include <thread>

#include "backend_test_support.h"

namespace vitrine::store::testing {
namespace {

const std::string kSpace = "docs";

class WarmSchedule : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    ASSERT_TRUE(store_->spaces().create("test", kSpace, "").ok());
  }
  WarmSchedules schedules(Store& s) { return WarmSchedules(s.context()); }
  WarmSchedules schedules() { return schedules(*store_); }
  std::vector<AuditRow> audit_rows(const std::string& action) {
    AuditQuery q;
    q.space = kSpace;
    q.action_prefix = action;
    auto rows = store_->audit().query(q);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::vector<AuditRow>{};
  }
};

TEST_P(WarmSchedule, ASpaceWithoutAScheduleIsOff) {
  auto s = schedules().get(kSpace);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->mode, "off");
  EXPECT_EQ(s->last_started_at_ms, 0);
  EXPECT_EQ(schedules().get("nope").error().code, Errc::not_found);
}

TEST_P(WarmSchedule, SetAndGetEveryMode) {
  ASSERT_TRUE(schedules().set("admin", kSpace, "hourly", 0).ok());
  auto s = schedules().get(kSpace);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->mode, "hourly");
  EXPECT_EQ(s->interval_s, 3600);
  EXPECT_EQ(s->next_due_at_ms, now_ms_ + 3600 * 1000);
  EXPECT_EQ(s->updated_by, "admin");

  ASSERT_TRUE(schedules().set("admin", kSpace, "custom", 1800).ok());
  s = schedules().get(kSpace);
  EXPECT_EQ(s->mode, "custom");
  EXPECT_EQ(s->interval_s, 1800);
  EXPECT_EQ(s->next_due_at_ms, now_ms_ + 1800 * 1000);

  ASSERT_TRUE(schedules().set("admin", kSpace, "off", 999).ok());
  s = schedules().get(kSpace);
  EXPECT_EQ(s->mode, "off");
  EXPECT_EQ(s->interval_s, 0);
  EXPECT_TRUE(schedules().due(now_ms_ + 10LL * 24 * 3600 * 1000)->empty());
}

TEST_P(WarmSchedule, WarmIntervalRangeRefusesBelowFiveMinutesAndAboveSevenDays) {
  for (int64_t bad : {int64_t{0}, int64_t{299}, int64_t{7 * 86400 + 1}, int64_t{-60}}) {
    auto st = schedules().set("admin", kSpace, "custom", bad);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.error().code, Errc::invalid);
    EXPECT_NE(st.error().message.find("[warm-interval-range]"), std::string::npos)
        << st.error().message;
  }
  EXPECT_TRUE(schedules().set("admin", kSpace, "custom", 300).ok());
  EXPECT_TRUE(schedules().set("admin", kSpace, "custom", 7 * 86400).ok());
}

TEST_P(WarmSchedule, WarmModeRefusesUnknownModes) {
  auto st = schedules().set("admin", kSpace, "daily", 0);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("[warm-mode]"), std::string::npos);
  EXPECT_EQ(schedules().get(kSpace)->mode, "off");
}

TEST_P(WarmSchedule, WarmIntervalFormParsesMinutesHoursDays) {
  EXPECT_EQ(parse_warm_interval("30m").interval_s, 1800);
  EXPECT_EQ(parse_warm_interval("2h").interval_s, 7200);
  EXPECT_EQ(parse_warm_interval("1d").interval_s, 86400);
  EXPECT_EQ(parse_warm_interval("45").interval_s, 2700);
  for (const char* bad : {"", "m", "30x", "-5m", "1.5h", "30 m"}) {
    auto c = parse_warm_interval(bad);
    EXPECT_FALSE(c.ok) << bad;
    EXPECT_EQ(c.rule, "warm-interval-form") << bad;
  }
  EXPECT_EQ(describe_warm_schedule("custom", 1800), "every 30m");
}

TEST_P(WarmSchedule, SettingIsAuditedWithOldAndNewAndBumpsTheChangeFeed) {
  const auto feed_before = store_->backend().read_change_feed()->seq;
  ASSERT_TRUE(schedules().set("admin", kSpace, "hourly", 0).ok());
  ASSERT_TRUE(schedules().set("other", kSpace, "custom", 900).ok());
  auto rows = audit_rows("warm.schedule");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].who, "admin");
  EXPECT_EQ(rows[0].verdict, "ok");
  EXPECT_NE(rows[0].detail_json.find("\"old\":\"off\""), std::string::npos) << rows[0].detail_json;
  EXPECT_NE(rows[0].detail_json.find("\"new\":\"hourly\""), std::string::npos);
  EXPECT_NE(rows[1].detail_json.find("\"old\":\"hourly\""), std::string::npos);
  EXPECT_NE(rows[1].detail_json.find("\"new\":\"every 15m\""), std::string::npos);
  EXPECT_EQ(store_->backend().read_change_feed()->seq, feed_before + 2);
}

TEST_P(WarmSchedule, ARefusedScheduleWritesNoAuditRowAndChangesNothing) {
  ASSERT_FALSE(schedules().set("admin", kSpace, "custom", 10).ok());
  EXPECT_TRUE(audit_rows("warm.schedule").empty());
  EXPECT_EQ(store_->backend().get_warm_schedule(kSpace).error().code, Errc::not_found);
}

TEST_P(WarmSchedule, SavingTheSameScheduleAgainKeepsTheTimeAlreadyDue) {
  ASSERT_TRUE(schedules().set("admin", kSpace, "hourly", 0).ok());
  const int64_t due = schedules().get(kSpace)->next_due_at_ms;
  now_ms_ += 20 * 60 * 1000;
  ASSERT_TRUE(schedules().set("admin", kSpace, "hourly", 0).ok());
  EXPECT_EQ(schedules().get(kSpace)->next_due_at_ms, due);
}

TEST_P(WarmSchedule, DeletingTheSpaceRemovesItsSchedule) {
  ASSERT_TRUE(schedules().set("admin", kSpace, "hourly", 0).ok());
  ASSERT_TRUE(store_->spaces().remove("test", kSpace).ok());
  EXPECT_EQ(store_->backend().get_warm_schedule(kSpace).error().code, Errc::not_found);
  EXPECT_TRUE(store_->backend().list_warm_schedules()->empty());
  ASSERT_TRUE(store_->spaces().create("test", kSpace, "").ok());
  EXPECT_EQ(schedules().get(kSpace)->mode, "off");
}

TEST_P(WarmSchedule, DueListsOnlySchedulesWhoseTimeHasCome) {
  ASSERT_TRUE(store_->spaces().create("test", "ops", "").ok());
  ASSERT_TRUE(schedules().set("admin", kSpace, "hourly", 0).ok());
  ASSERT_TRUE(schedules().set("admin", "ops", "custom", 600).ok());
  EXPECT_TRUE(schedules().due(now_ms_)->empty());
  auto due = schedules().due(now_ms_ + 600 * 1000);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().space, "ops");
  due = schedules().due(now_ms_ + 3600 * 1000);
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ(due->front().space, "ops");  // oldest due first
}

TEST_P(WarmSchedule, ClaimMovesNextDueByTheIntervalAndFinishRecordsTheRun) {
  ASSERT_TRUE(schedules().set("admin", kSpace, "custom", 600).ok());
  now_ms_ += 600 * 1000 + 5000;
  auto due = schedules().due(now_ms_);
  ASSERT_EQ(due->size(), 1u);
  auto won = schedules().claim(due->front(), "host-a", now_ms_);
  ASSERT_TRUE(won.ok());
  EXPECT_TRUE(*won);
  auto s = schedules().get(kSpace);
  EXPECT_EQ(s->next_due_at_ms, now_ms_ + 600 * 1000);
  EXPECT_EQ(s->last_started_at_ms, now_ms_);
  EXPECT_EQ(s->last_holder, "host-a");
  EXPECT_TRUE(schedules().due(now_ms_)->empty());
  // The same row claimed again (a host that listed it late) loses.
  EXPECT_FALSE(*schedules().claim(due->front(), "host-b", now_ms_));
  ASSERT_TRUE(schedules().finish(kSpace, "host-a", now_ms_ + 1234, 7, 2).ok());
  // A finish of a host that does not hold the run is ignored.
  ASSERT_TRUE(schedules().finish(kSpace, "host-b", now_ms_ + 9999, 0, 99).ok());
  s = schedules().get(kSpace);
  EXPECT_EQ(s->last_finished_at_ms, now_ms_ + 1234);
  EXPECT_EQ(s->last_refreshed, 7);
  EXPECT_EQ(s->last_failed, 2);
  // Runs are not desired state: no audit row of their own.
  EXPECT_EQ(audit_rows("warm.schedule").size(), 1u);
}

TEST_P(WarmSchedule, AClaimOfAScheduleTurnedOffLoses) {
  ASSERT_TRUE(schedules().set("admin", kSpace, "hourly", 0).ok());
  now_ms_ += 3600 * 1000;
  auto due = schedules().due(now_ms_);
  ASSERT_EQ(due->size(), 1u);
  ASSERT_TRUE(schedules().set("admin", kSpace, "off", 0).ok());
  EXPECT_FALSE(*schedules().claim(due->front(), "host-a", now_ms_));
}

TEST_P(WarmSchedule, ExactlyOneHostWinsTheClaimOfADueRun) {
  auto other = open_another();
  ASSERT_TRUE(other);
  ASSERT_TRUE(schedules().set("admin", kSpace, "hourly", 0).ok());
  now_ms_ += 3600 * 1000;
  Store* hosts[2] = {store_.get(), other.get()};
  constexpr int kPerHost = 6;
  std::atomic<int> winners{0}, errors{0};
  std::vector<std::thread> threads;
  for (int h = 0; h < 2; ++h) {
    for (int t = 0; t < kPerHost; ++t) {
      threads.emplace_back([&, h, t] {
        WarmSchedules mine(hosts[h]->context());
        auto due = mine.due(now_ms_);
        if (!due.ok()) {
          ++errors;
          return;
        }
        for (const auto& row : *due) {
          auto won =
              mine.claim(row, "host-" + std::to_string(h) + "/" + std::to_string(t), now_ms_);
          if (!won.ok()) ++errors;
          if (won.ok() && *won) ++winners;
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(schedules().get(kSpace)->next_due_at_ms, now_ms_ + 3600 * 1000);
}

VITRINE_ON_EVERY_BACKEND(WarmSchedule);

}  // namespace
}  // namespace vitrine::store::testing
