#include "vitrine_plugin/timefmt.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>

#include "vitrine/sdk/time.h"

namespace vitrine::pc {
namespace {

std::string offset_text(int offset_s) {
  char buf[VSDK_TIME_BUF];
  return std::string(buf, vsdk_time_offset_text(offset_s, buf));
}

// "+02:00", "-0530", "+2" -> seconds east of UTC.
std::optional<int> parse_offset(std::string_view s) {
  int32_t off = 0;
  if (vsdk_time_parse_offset(s.data(), s.size(), &off) == 0) return std::nullopt;
  return off;
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
  char buf[VSDK_TIME_BUF];
  if (zone.kind == Zone::Kind::kIana) {
    int64_t s = unix_ms / 1000;
    if (unix_ms % 1000 < 0) --s;
    std::string out = format_iana(s, zone.name);
    if (!out.empty()) return out;
  }
  const int32_t offset = zone.kind == Zone::Kind::kFixed ? zone.offset_s : 0;
  return std::string(buf, vsdk_time_display(unix_ms, offset, buf));
}

std::optional<int64_t> parse_rfc3339_ms(std::string_view t) {
  int64_t ms = 0;
  if (vsdk_time_parse_rfc3339(t.data(), t.size(), &ms) == 0) return std::nullopt;
  return ms;
}

bool is_zero_time(std::string_view t) { return t.substr(0, 4) == "0001" || t.empty(); }

std::string format_duration(int64_t ms) {
  char buf[VSDK_TIME_BUF];
  return std::string(buf, vsdk_time_duration(ms, buf));
}

}  // namespace vitrine::pc
