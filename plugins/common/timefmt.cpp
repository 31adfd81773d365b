#include "vitrine_plugin/timefmt.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>

namespace vitrine::pc {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days: exact for the whole
// proleptic Gregorian range, no libc involved.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t y;
  unsigned m, d, hh, mm;
};

Civil civil_from_unix_s(int64_t s) {
  int64_t days = s / 86400;
  int64_t rem = s % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Civil{y + (m <= 2 ? 1 : 0), m, d, static_cast<unsigned>(rem / 3600),
               static_cast<unsigned>((rem % 3600) / 60)};
}

std::string civil_text(const Civil& c) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02u:%02u", static_cast<long long>(c.y), c.m,
                c.d, c.hh, c.mm);
  return buf;
}

std::string offset_text(int offset_s) {
  const int a = offset_s < 0 ? -offset_s : offset_s;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_s < 0 ? '-' : '+', a / 3600,
                (a % 3600) / 60);
  return buf;
}

bool digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// "+02:00", "-0530", "+2" -> seconds east of UTC.
std::optional<int> parse_offset(std::string_view s) {
  if (s.size() < 2 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  const int sign = s[0] == '-' ? -1 : 1;
  std::string_view rest = s.substr(1);
  int h = 0;
  int m = 0;
  if (rest.size() == 5 && rest[2] == ':' && digits(rest.substr(0, 2)) && digits(rest.substr(3))) {
    h = to_int(rest.substr(0, 2));
    m = to_int(rest.substr(3));
  } else if (rest.size() == 4 && digits(rest)) {
    h = to_int(rest.substr(0, 2));
    m = to_int(rest.substr(2));
  } else if ((rest.size() == 1 || rest.size() == 2) && digits(rest)) {
    h = to_int(rest);
  } else {
    return std::nullopt;
  }
  if (h > 14 || m > 59) return std::nullopt;
  return sign * (h * 3600 + m * 60);
}

bool safe_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/') return false;
  if (name.find("..") != std::string_view::npos) return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '_' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

const char* zoneinfo_dir() {
  const char* dir = std::getenv("TZDIR");
  return dir != nullptr && dir[0] != '\0' ? dir : "/usr/share/zoneinfo";
}

// The C library keeps one process-wide zone. Switching it is serialised by
// this mutex and restored before unlocking; see docs/plugins.md for why this
// is acceptable until libstdc++ ships std::chrono::locate_zone.
std::mutex& tz_mutex() {
  static std::mutex m;
  return m;
}

std::string format_iana(int64_t unix_s, const std::string& name) {
  std::lock_guard lock(tz_mutex());
  const char* old = std::getenv("TZ");
  const std::string saved = old != nullptr ? old : "";
  const bool had = old != nullptr;
  ::setenv("TZ", (":" + name).c_str(), 1);
  ::tzset();
  const auto t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  char buf[64] = {0};
  if (::localtime_r(&t, &tm) != nullptr) std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M %Z", &tm);
  if (had) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  return buf;
}

}  // namespace

Zone resolve_zone(std::string_view tz) {
  Zone z;
  if (tz.empty() || tz == "utc" || tz == "UTC" || tz == "Z" || tz == "Etc/UTC" || tz == "GMT") {
    z.name = "UTC";
    return z;
  }
  if (tz == "browser") {
    // Server-side rendering cannot know the reader's zone.
    z.name = "UTC";
    return z;
  }
  std::string_view off = tz;
  if (off.substr(0, 3) == "UTC" || off.substr(0, 3) == "GMT") off.remove_prefix(3);
  if (auto s = parse_offset(off)) {
    z.kind = s == 0 ? Zone::Kind::kUtc : Zone::Kind::kFixed;
    z.offset_s = *s;
    z.name = s == 0 ? "UTC" : offset_text(*s);
    return z;
  }
  if (safe_zone_name(tz)) {
    std::error_code ec;
    const auto path = std::filesystem::path(zoneinfo_dir()) / std::string(tz);
    if (std::filesystem::is_regular_file(path, ec)) {
      z.kind = Zone::Kind::kIana;
      z.name = std::string(tz);
      return z;
    }
  }
  z.name = "UTC";
  z.fallback = "unknown time zone '" + std::string(tz) + "'; times are shown in UTC";
  return z;
}

std::string format_time(int64_t unix_ms, const Zone& zone) {
  int64_t s = unix_ms / 1000;
  if (unix_ms % 1000 < 0) --s;
  switch (zone.kind) {
    case Zone::Kind::kUtc:
      return civil_text(civil_from_unix_s(s)) + " UTC";
    case Zone::Kind::kFixed:
      return civil_text(civil_from_unix_s(s + zone.offset_s)) + " " + zone.name;
    case Zone::Kind::kIana: {
      std::string out = format_iana(s, zone.name);
      if (!out.empty()) return out;
      return civil_text(civil_from_unix_s(s)) + " UTC";
    }
  }
  return civil_text(civil_from_unix_s(s)) + " UTC";
}

std::optional<int64_t> parse_rfc3339_ms(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (t.size() < 20) return std::nullopt;
  if (!digits(t.substr(0, 4)) || t[4] != '-' || !digits(t.substr(5, 2)) || t[7] != '-' ||
      !digits(t.substr(8, 2)) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      !digits(t.substr(11, 2)) || t[13] != ':' || !digits(t.substr(14, 2)) || t[16] != ':' ||
      !digits(t.substr(17, 2))) {
    return std::nullopt;
  }
  const int y = to_int(t.substr(0, 4));
  const auto mo = static_cast<unsigned>(to_int(t.substr(5, 2)));
  const auto d = static_cast<unsigned>(to_int(t.substr(8, 2)));
  const int hh = to_int(t.substr(11, 2));
  const int mi = to_int(t.substr(14, 2));
  const int ss = to_int(t.substr(17, 2));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || ss > 60) return std::nullopt;
  size_t i = 19;
  int64_t ms = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    int64_t scale = 100;
    const size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      ms += (t[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  int offset = 0;
  const std::string_view zone = t.substr(i);
  if (zone == "Z" || zone == "z") {
    offset = 0;
  } else if (zone.size() == 6 && zone[3] == ':') {
    auto o = parse_offset(zone);
    if (!o) return std::nullopt;
    offset = *o;
  } else {
    return std::nullopt;
  }
  const int64_t days = days_from_civil(y, mo, d);
  const int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - offset;
  return secs * 1000 + ms;
}

bool is_zero_time(std::string_view t) { return t.substr(0, 4) == "0001" || t.empty(); }

std::string format_duration(int64_t ms) {
  if (ms < 0) ms = -ms;
  int64_t s = ms / 1000;
  if (s < 60) return std::to_string(s) + "s";
  const int64_t d = s / 86400;
  const int64_t h = (s % 86400) / 3600;
  const int64_t m = (s % 3600) / 60;
  std::string out;
  if (d > 0) out += std::to_string(d) + "d";
  if (h > 0) out += (out.empty() ? "" : " ") + std::to_string(h) + "h";
  if (m > 0 && d == 0) out += (out.empty() ? "" : " ") + std::to_string(m) + "m";
  return out.empty() ? "0s" : out;
}

}  // namespace vitrine::pc
