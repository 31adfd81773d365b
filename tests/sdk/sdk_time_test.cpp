// The SDK's time text (vitrine/sdk/time.h): RFC 3339 in UTC, the "as of"
// display the bundled plugins show, offsets, parsing and durations.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "vitrine/sdk/time.h"

namespace {

std::string rfc(int64_t ms) {
  char b[VSDK_TIME_BUF];
  const size_t n = vsdk_time_rfc3339(ms, b);
  EXPECT_EQ(n, std::string(b).size());
  return b;
}
std::string show(int64_t ms, int32_t off) {
  char b[VSDK_TIME_BUF];
  vsdk_time_display(ms, off, b);
  return b;
}
std::string dur(int64_t ms) {
  char b[VSDK_TIME_BUF];
  vsdk_time_duration(ms, b);
  return b;
}
std::optional<int64_t> parse(std::string_view t) {
  int64_t ms = 0;
  if (vsdk_time_parse_rfc3339(t.data(), t.size(), &ms) == 0) return std::nullopt;
  return ms;
}

constexpr int64_t k20261129_1042 = 1795948920000;  // 2026-11-29T10:42:00Z

TEST(SdkTime, FormatsRfc3339InUtc) {
  EXPECT_EQ(rfc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc(k20261129_1042 + 7000), "2026-11-29T10:42:07Z");
  EXPECT_EQ(rfc(k20261129_1042 + 7250), "2026-11-29T10:42:07.250Z");
  EXPECT_EQ(rfc(-1), "1969-12-31T23:59:59.999Z") << "floor, not truncation, before the epoch";
  EXPECT_EQ(rfc(951782400000), "2000-02-29T00:00:00Z") << "leap day";
  EXPECT_EQ(rfc(-62135596800000), "0001-01-01T00:00:00Z") << "Grafana's zero time";
}

TEST(SdkTime, DisplaysUtcAndFixedOffsets) {
  EXPECT_EQ(show(k20261129_1042 + 59999, 0), "2026-11-29 10:42 UTC") << "seconds are cut";
  EXPECT_EQ(show(k20261129_1042, 7200), "2026-11-29 12:42 +02:00");
  EXPECT_EQ(show(k20261129_1042, -(5 * 3600 + 1800)), "2026-11-29 05:12 -05:30");
  EXPECT_EQ(show(k20261129_1042, 14 * 3600), "2026-11-30 00:42 +14:00") << "crosses midnight";
  char b[VSDK_TIME_BUF];
  EXPECT_EQ(vsdk_time_offset_text(-3600, b), 6u);
  EXPECT_STREQ(b, "-01:00");
}

TEST(SdkTime, ParsesOffsets) {
  int32_t s = 0;
  EXPECT_EQ(vsdk_time_parse_offset("+02:00", 6, &s), 1);
  EXPECT_EQ(s, 7200);
  EXPECT_EQ(vsdk_time_parse_offset("-0530", 5, &s), 1);
  EXPECT_EQ(s, -(5 * 3600 + 30 * 60));
  EXPECT_EQ(vsdk_time_parse_offset("+2", 2, &s), 1);
  EXPECT_EQ(s, 7200);
  s = 99;
  for (const char* bad : {"+15", "+02:60", "02:00", "+", "+2:00", "+02:0a", "-123"}) {
    EXPECT_EQ(vsdk_time_parse_offset(bad, std::string_view(bad).size(), &s), 0) << bad;
  }
  EXPECT_EQ(s, 99) << "a refused offset sets nothing";
  EXPECT_EQ(vsdk_time_parse_offset(nullptr, 3, &s), 0);
}

TEST(SdkTime, ParsesRfc3339) {
  EXPECT_EQ(parse("2026-11-29T10:42:00Z"), k20261129_1042);
  EXPECT_EQ(parse("2026-11-29T12:42:00+02:00"), k20261129_1042);
  EXPECT_EQ(parse("2026-11-29 10:42:00.123456z"), k20261129_1042 + 123) << "digits past ms cut";
  EXPECT_EQ(parse("0001-01-01T00:00:00Z"), -62135596800000);
  for (const char* bad : {"2026-11-29T10:42:00", "2026-13-01T00:00:00Z", "2026-11-29T24:00:00Z",
                          "2026-11-29T10:42:00.Z", "2026-11-29T10:42:00+0200", "2026-11-29",
                          "2026-11-29X10:42:00Z", "2026-11-29T10:42:00Zjunk", ""}) {
    EXPECT_EQ(parse(bad), std::nullopt) << bad;
  }
}

TEST(SdkTime, RoundTripsThroughText) {
  for (int64_t ms :
       {int64_t{0}, k20261129_1042 + 1, int64_t{-86399999}, int64_t{253402300799999}}) {
    EXPECT_EQ(parse(rfc(ms)), ms) << rfc(ms);
  }
}

TEST(SdkTime, FormatsCompactDurations) {
  EXPECT_EQ(dur(0), "0s");
  EXPECT_EQ(dur(45000), "45s");
  EXPECT_EQ(dur(-45000), "45s") << "the sign is ignored";
  EXPECT_EQ(dur((3 * 3600 + 12 * 60) * 1000LL), "3h 12m");
  EXPECT_EQ(dur((2 * 86400 + 4 * 3600 + 5 * 60) * 1000LL), "2d 4h") << "minutes drop with days";
  EXPECT_EQ(dur(2 * 86400 * 1000LL + 60000), "2d");
  EXPECT_EQ(dur(60 * 1000), "1m");
  EXPECT_EQ(dur(INT64_MIN), "106751991167d 7h") << "INT64_MIN does not overflow";
}

TEST(SdkTime, ExtremeTimesDoNotOverflow) {
  char b[VSDK_TIME_BUF];
  EXPECT_GT(vsdk_time_rfc3339(INT64_MAX, b), 0u);
  EXPECT_GT(vsdk_time_rfc3339(INT64_MIN, b), 0u);
  EXPECT_GT(vsdk_time_display(INT64_MAX, 14 * 3600, b), 0u);
  EXPECT_GT(vsdk_time_display(INT64_MIN, -14 * 3600, b), 0u);
}

}  // namespace
