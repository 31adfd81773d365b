// Scheduled cache warming end to end (render/warm_scheduler.h,
// docs/freshness.md "Scheduled warming"): the real runtime, engine and
// plugins against the Grafana simulator over TLS. A pass is triggered by
// hand with run_due_once at a chosen time, so nothing waits on the clock.
#include "render/warm_scheduler.h"

#include <gmock/gmock.h>

#include <fstream>
#include <thread>

#include "host_fixture.h"
#include "store/warm_schedules.h"

namespace vitrine::testing {
namespace {

namespace fs = std::filesystem;
using render::WarmRun;

constexpr int64_t kHourMs = 3600 * 1000;

const char* kPageA = R"(# Checkout

```dashboard
dashboard: svc-checkout
```

```alert-list
max_items: 5
```
)";

const char* kPageB = R"(# Overview

```dashboard
dashboard: svc-checkout
```
)";

const char* kPageBroken = R"(# Broken

```dashboard
dashboard: no-such-dashboard
```
)";

class ScheduledWarming : public HostFixture {
 protected:
  void SetUp() override {
    HostFixture::SetUp();
    if (HasFatalFailure()) return;
    pages_ = dir_ / "pages" / "demo";
    fs::create_directories(pages_);
    write_page("a", kPageA);
    write_page("b", kPageB);
  }
  void TearDown() override {
    scheduler_.reset();
    HostFixture::TearDown();
  }
  void write_page(const std::string& name, const std::string& markdown) {
    std::ofstream(pages_ / (name + ".md")) << markdown;
  }
  std::unique_ptr<render::WarmScheduler> make(const std::string& holder) {
    render::WarmPages pages;
    const fs::path root = dir_ / "pages";
    pages.list = [root](const std::string& space) {
      std::vector<std::string> out;
      for (const auto& e : fs::directory_iterator(root / space)) {
        if (e.path().extension() == ".md") out.push_back(e.path().stem().string());
      }
      std::sort(out.begin(), out.end());
      return out;
    };
    pages.read = [root](const std::string& space, const std::string& page) {
      std::ifstream in(root / space / (page + ".md"));
      if (!in) return std::shared_ptr<const std::string>();
      return std::make_shared<const std::string>(std::istreambuf_iterator<char>(in),
                                                 std::istreambuf_iterator<char>());
    };
    render::WarmSchedulerOptions o;
    o.holder = holder;
    return std::make_unique<render::WarmScheduler>(*rt_, *engine_, pages, o);
  }
  store::WarmSchedules schedules() { return store::WarmSchedules(rt_->store().context()); }
  int64_t now() { return rt_->store().context().now(); }
  std::vector<store::AuditRow> audit(const std::string& action) {
    store::AuditQuery q;
    q.space = "demo";
    q.action_prefix = action;
    auto rows = rt_->store().audit().query(q);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::vector<store::AuditRow>{};
  }

  fs::path pages_;
  std::unique_ptr<render::WarmScheduler> scheduler_;
};

TEST_F(ScheduledWarming, ADueScheduleWarmsEveryMacroOfEveryPageOfTheSpace) {
  ASSERT_TRUE(schedules().set("admin", "demo", "hourly", 0).ok());
  scheduler_ = make("host-a");
  const int64_t at = now() + kHourMs + 1000;
  auto runs = scheduler_->run_due_once(at);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].space, "demo");
  EXPECT_EQ(runs[0].pages, 2u);
  EXPECT_EQ(runs[0].refreshed, 3u);  // two macros on a, one on b
  EXPECT_EQ(runs[0].failed, 0u);
  auto row = schedules().get("demo");
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->last_refreshed, 3);
  EXPECT_EQ(row->last_failed, 0);
  EXPECT_EQ(row->last_holder, "host-a");
  EXPECT_EQ(row->last_started_at_ms, at);
  EXPECT_GE(row->last_finished_at_ms, row->last_started_at_ms);
  EXPECT_EQ(row->next_due_at_ms, at + kHourMs);
  // The next pass at the same time finds nothing due: one run per interval.
  EXPECT_TRUE(scheduler_->run_due_once(at).empty());
  auto rows = audit("warm.run");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].verdict, "ok");
  EXPECT_THAT(rows[0].detail_json, ::testing::HasSubstr("\"refreshed\":3"));
}

TEST_F(ScheduledWarming, AFailingMacroIsCountedAsFailedAndTheOthersStillWarm) {
  write_page("c", kPageBroken);
  ASSERT_TRUE(schedules().set("admin", "demo", "custom", 600).ok());
  scheduler_ = make("host-a");
  auto runs = scheduler_->run_due_once(now() + 601 * 1000);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].pages, 3u);
  EXPECT_EQ(runs[0].refreshed, 3u);
  EXPECT_EQ(runs[0].failed, 1u);
  EXPECT_EQ(schedules().get("demo")->last_failed, 1);
  auto rows = audit("warm.run");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].verdict, "error");
  EXPECT_THAT(rows[0].detail_json, ::testing::HasSubstr("c#1:"));
}

TEST_F(ScheduledWarming, ModeOffWarmsNothing) {
  scheduler_ = make("host-a");
  EXPECT_TRUE(scheduler_->run_due_once(now() + 30 * 24 * kHourMs).empty());
  ASSERT_TRUE(schedules().set("admin", "demo", "hourly", 0).ok());
  ASSERT_TRUE(schedules().set("admin", "demo", "off", 0).ok());
  EXPECT_TRUE(scheduler_->run_due_once(now() + 30 * 24 * kHourMs).empty());
  EXPECT_EQ(schedules().get("demo")->last_started_at_ms, 0);
  EXPECT_TRUE(audit("warm.run").empty());
}

TEST_F(ScheduledWarming, TwoHostsPassingAtOnceRunADueWarmingOnce) {
  ASSERT_TRUE(schedules().set("admin", "demo", "hourly", 0).ok());
  auto a = make("host-a");
  auto b = make("host-b");
  const int64_t at = now() + kHourMs;
  std::vector<WarmRun> ra, rb;
  std::thread ta([&] { ra = a->run_due_once(at); });
  std::thread tb([&] { rb = b->run_due_once(at); });
  ta.join();
  tb.join();
  EXPECT_EQ(ra.size() + rb.size(), 1u);
  EXPECT_EQ(audit("warm.run").size(), 1u);
}

TEST_F(ScheduledWarming, StartAndStopWithoutADueScheduleIsClean) {
  scheduler_ = make("host-a");
  scheduler_->start();
  scheduler_->stop();
  scheduler_->stop();  // idempotent
  EXPECT_TRUE(audit("warm.run").empty());
}

}  // namespace
}  // namespace vitrine::testing
