#include "plugins/date_math.h"

#include <charconv>

namespace vitrine::plugins {
namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;
// 9999-12-31T23:59:59.999Z: the last instant an RFC 3339 year can name.
constexpr int64_t kMaxMs = 253'402'300'799'999;

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's
// civil-date algorithms: exact for every year here, no time zone involved).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t y;
  int m;
  int d;
};

Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Moves `ms` by `months` calendar months, keeping the time of day and the
// day of the month clamped to the target month's length.
std::optional<int64_t> add_months(int64_t ms, int64_t months) {
  if (months > 120'000 || months < -120'000) return std::nullopt;  // beyond 10000 years
  const int64_t day = floor_div(ms, kDay);
  const int64_t in_day = ms - day * kDay;
  const Civil c = civil_from_days(day);
  const int64_t index = c.y * 12 + (c.m - 1) + months;
  const int64_t y = floor_div(index, 12);
  const int m = static_cast<int>(index - y * 12) + 1;
  const int d = std::min(c.d, days_in_month(y, m));
  return days_from_civil(y, m, d) * kDay + in_day;
}

// The first millisecond of the unit containing `ms`.
int64_t start_of(int64_t ms, char unit) {
  const int64_t day = floor_div(ms, kDay);
  switch (unit) {
    case 's':
      return floor_div(ms, kSecond) * kSecond;
    case 'm':
      return floor_div(ms, kMinute) * kMinute;
    case 'h':
      return floor_div(ms, kHour) * kHour;
    case 'd':
      return day * kDay;
    case 'w':
      // 1970-01-01 was a Thursday: Monday is 3 days before it.
      return (floor_div(day + 3, 7) * 7 - 3) * kDay;
    case 'M': {
      const Civil c = civil_from_days(day);
      return days_from_civil(c.y, c.m, 1) * kDay;
    }
    case 'y':
      return days_from_civil(civil_from_days(day).y, 1, 1) * kDay;
    default:  // 'S' (milliseconds): already whole
      return ms;
  }
}

// The last millisecond of the unit containing `ms`.
int64_t end_of(int64_t ms, char unit) {
  const int64_t start = start_of(ms, unit);
  switch (unit) {
    case 's':
      return start + kSecond - 1;
    case 'm':
      return start + kMinute - 1;
    case 'h':
      return start + kHour - 1;
    case 'd':
      return start + kDay - 1;
    case 'w':
      return start + kWeek - 1;
    case 'M':
      return *add_months(start, 1) - 1;
    case 'y':
      return *add_months(start, 12) - 1;
    default:
      return ms;
  }
}

// One unit at the front of `s`: ms s m h d w M y. 'S' stands for ms.
std::optional<char> take_unit(std::string_view& s) {
  if (s.rfind("ms", 0) == 0) {
    s.remove_prefix(2);
    return 'S';
  }
  if (s.empty()) return std::nullopt;
  const char u = s.front();
  if (u != 's' && u != 'm' && u != 'h' && u != 'd' && u != 'w' && u != 'M' && u != 'y') {
    return std::nullopt;
  }
  s.remove_prefix(1);
  return u;
}

// 1..max_digits digits at the front of `s`.
std::optional<int64_t> take_number(std::string_view& s, std::size_t min_digits,
                                   std::size_t max_digits) {
  std::size_t n = 0;
  while (n < s.size() && n < max_digits && s[n] >= '0' && s[n] <= '9') ++n;
  if (n < min_digits) return std::nullopt;
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + n, v);
  s.remove_prefix(n);
  return v;
}

bool take(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

std::optional<int64_t> relative(std::string_view s, int64_t now_ms, Round round) {
  s.remove_prefix(3);  // "now"
  int64_t t = now_ms;
  while (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    const bool minus = s.front() == '-';
    s.remove_prefix(1);
    auto n = take_number(s, 1, 9);
    auto unit = take_unit(s);
    if (!n || !unit) return std::nullopt;
    const int64_t k = minus ? -*n : *n;
    if (*unit == 'M' || *unit == 'y') {
      auto moved = add_months(t, *unit == 'y' ? k * 12 : k);
      if (!moved) return std::nullopt;
      t = *moved;
      continue;
    }
    const int64_t unit_ms = *unit == 'S'   ? 1
                            : *unit == 's' ? kSecond
                            : *unit == 'm' ? kMinute
                            : *unit == 'h' ? kHour
                            : *unit == 'd' ? kDay
                                           : kWeek;
    int64_t delta = 0;
    if (__builtin_mul_overflow(k, unit_ms, &delta) || __builtin_add_overflow(t, delta, &t)) {
      return std::nullopt;
    }
    if (t < -kMaxMs || t > 2 * kMaxMs) return std::nullopt;  // keeps later steps in range
  }
  if (take(s, '/')) {
    auto unit = take_unit(s);
    if (!unit || *unit == 'S') return std::nullopt;  // rounding to a millisecond says nothing
    t = round == Round::up ? end_of(t, *unit) : start_of(t, *unit);
  }
  if (!s.empty()) return std::nullopt;
  return t;
}

std::optional<int64_t> absolute(std::string_view s) {
  auto y = take_number(s, 4, 4);
  if (!y || !take(s, '-')) return std::nullopt;
  auto mo = take_number(s, 2, 2);
  if (!mo || !take(s, '-')) return std::nullopt;
  auto d = take_number(s, 2, 2);
  if (!d || *mo < 1 || *mo > 12 || *d < 1 || *d > days_in_month(*y, static_cast<int>(*mo))) {
    return std::nullopt;
  }
  int64_t t = days_from_civil(*y, static_cast<int>(*mo), static_cast<int>(*d)) * kDay;
  if (s.empty()) return t;
  if (!take(s, 'T')) return std::nullopt;
  auto h = take_number(s, 2, 2);
  if (!h || !take(s, ':')) return std::nullopt;
  auto mi = take_number(s, 2, 2);
  if (!mi || *h > 23 || *mi > 59) return std::nullopt;
  t += *h * kHour + *mi * kMinute;
  if (take(s, ':')) {
    auto sec = take_number(s, 2, 2);
    if (!sec || *sec > 59) return std::nullopt;  // leap seconds are not in unix time
    t += *sec * kSecond;
    if (take(s, '.')) {
      std::string_view digits = s;
      auto frac = take_number(s, 1, 9);
      if (!frac) return std::nullopt;
      const std::size_t n = digits.size() - s.size();
      int64_t ms = *frac;
      for (std::size_t i = n; i < 3; ++i) ms *= 10;
      for (std::size_t i = 3; i < n; ++i) ms /= 10;  // below a millisecond: truncated
      t += ms;
    }
  }
  if (s.empty() || take(s, 'Z')) return s.empty() ? std::optional<int64_t>(t) : std::nullopt;
  const bool minus = s.front() == '-';
  if (!take(s, '+') && !take(s, '-')) return std::nullopt;
  auto oh = take_number(s, 2, 2);
  if (!oh || !take(s, ':')) return std::nullopt;
  auto om = take_number(s, 2, 2);
  if (!om || *oh > 23 || *om > 59 || !s.empty()) return std::nullopt;
  const int64_t offset = *oh * kHour + *om * kMinute;
  return minus ? t + offset : t - offset;
}

}  // namespace

std::optional<int64_t> parse_time_ms(std::string_view text, int64_t now_ms, Round round) {
  std::optional<int64_t> t;
  if (text.rfind("now", 0) == 0) {
    t = relative(text, now_ms, round);
  } else if (text.size() >= 10 && text[4] == '-') {
    t = absolute(text);
  } else {
    std::string_view s = text;
    t = take_number(s, 1, 16);
    if (!s.empty()) t.reset();
  }
  if (!t || *t < 0 || *t > kMaxMs) return std::nullopt;
  return t;
}

}  // namespace vitrine::plugins
