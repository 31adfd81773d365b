// Grafana's time grammar (host/plugins/date_math.h): every form Grafana puts
// in a dashboard link reads to the instant Grafana means, and everything else
// is refused, so the link converter and the parameter binder agree.
#include "plugins/date_math.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vitrine::plugins {
namespace {

// 2026-11-29T10:30:45.678Z, a Sunday.
constexpr int64_t kNow = 1'795'948'245'678;
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;

struct Row {
  std::string text;
  Round round;
  int64_t want;
};

TEST(DateMath, GrafanaTimesReadToTheInstantGrafanaMeans) {
  const std::vector<Row> rows = {
      {"now", Round::down, kNow},
      {"now-6h", Round::down, kNow - 6 * kHour},
      {"now+30m", Round::down, kNow + 30 * 60'000},
      {"now-500ms", Round::down, kNow - 500},
      {"now-1d-12h", Round::down, kNow - kDay - 12 * kHour},
      {"now-2w", Round::down, kNow - 14 * kDay},
      // Rounding: to the start of the unit, or (the end of a range) its last ms.
      {"now/d", Round::down, 1'795'910'400'000},
      {"now/d", Round::up, 1'795'910'400'000 + kDay - 1},
      {"now-1d/d", Round::down, 1'795'910'400'000 - kDay},
      {"now/w", Round::down, 1'795'392'000'000},  // Monday 2026-11-23 (ISO weeks)
      {"now/w", Round::up, 1'795'392'000'000 + 7 * kDay - 1},
      {"now/M", Round::down, 1'793'491'200'000},  // 2026-11-01
      {"now/M", Round::up, 1'793'491'200'000 + 30 * kDay - 1},
      {"now/y", Round::down, 1'767'225'600'000},  // 2026-01-01
      {"now/h", Round::down, kNow - (30 * 60'000 + 45'678)},
      // Calendar offsets keep the time of day.
      {"now-1M", Round::down, 1'793'269'845'678},  // 2026-10-29T10:30:45.678Z
      {"now-1y", Round::down, 1'764'412'245'678},  // 2025-11-29T10:30:45.678Z
      // Absolute times: UTC unless an offset says otherwise.
      {"2024-05-01", Round::down, 1'714'521'600'000},
      {"2024-05-01T04:00", Round::down, 1'714'536'000'000},
      {"2024-05-01T04:00:00Z", Round::down, 1'714'536'000'000},
      {"2024-05-01T06:00:00.250+02:00", Round::down, 1'714'536'000'250},
      {"2024-05-01T04:00:00.250999Z", Round::down, 1'714'536'000'250},
      {"2024-02-29", Round::down, 1'709'164'800'000},
      {"1700000000123", Round::down, 1'700'000'000'123},
      {"0", Round::down, 0},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.text);
    EXPECT_EQ(parse_time_ms(r.text, kNow, r.round), r.want);
  }
}

TEST(DateMath, MonthOffsetsClampToTheLastDayOfTheMonth) {
  const int64_t march31 = 1'711'843'200'000;                       // 2024-03-31T00:00:00Z
  EXPECT_EQ(parse_time_ms("now-1M", march31), 1'709'164'800'000);  // 2024-02-29
  EXPECT_EQ(parse_time_ms("now-13M", march31), 1'709'164'800'000 - 366 * kDay);  // 2023-02-28
  EXPECT_EQ(parse_time_ms("now+1y", 1'709'164'800'000), 1'709'164'800'000 + 365 * kDay);
}

TEST(DateMath, EverythingElseIsRefused) {
  for (const char* text : {"",
                           "yesterday",
                           "now-",
                           "now-1",
                           "now-1q",
                           "now/q",
                           "now/ms",
                           "now/d/d",
                           "now-1d/",
                           "now/d-1d",
                           "now - 1d",
                           "now-1d ",
                           "NOW",
                           "now-9999999999d",
                           "now+8000y",
                           "now-100y",
                           "2024-02-30",
                           "2023-02-29",
                           "2024-13-01",
                           "2024-5-1",
                           "2024-05-01T24:00Z",
                           "2024-05-01T10:00:60Z",
                           "2024-05-01T10",
                           "2024-05-01T10:00:00.Z",
                           "2024-05-01T10:00:00+2",
                           "2024-05-01T10:00:00+02:00x",
                           "2024-05-01 10:00",
                           "1969-12-31",
                           "12345678901234567",
                           "-1",
                           "1e3",
                           "10000-01-01"}) {
    EXPECT_FALSE(parse_time_ms(text, kNow).has_value()) << text;
  }
}

}  // namespace
}  // namespace vitrine::plugins
