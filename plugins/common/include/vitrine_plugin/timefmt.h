// Time parsing and formatting for what readers see ("as of 2026-11-29 10:42
// UTC"). GCC 12's libstdc++ has no std::chrono::locate_zone (it arrives in
// GCC 13), so IANA zones go through the C library's tz database under a
// mutex; UTC and fixed offsets need no lookup at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vitrine::pc {

struct Zone {
  enum class Kind { kUtc, kFixed, kIana } kind = Kind::kUtc;
  std::string name;      // IANA name or "+02:00"
  int offset_s = 0;      // kFixed only
  std::string fallback;  // set when the requested zone was unknown and UTC is used
};

// "", "utc", "UTC", "browser" (the server cannot know a reader's browser zone),
// "Z" -> UTC; "+02:00", "-0530", "UTC+2" -> fixed; an installed IANA name ->
// kIana; anything else -> UTC with `fallback` explaining why.
Zone resolve_zone(std::string_view tz);

// "2026-11-29 10:42 UTC", "2026-11-29 11:42 CET", "2026-11-29 12:42 +02:00".
std::string format_time(int64_t unix_ms, const Zone& zone);

// RFC 3339 ("2024-06-03T09:12:00Z", "...00.123+02:00") -> unix ms. nullopt
// when malformed. Grafana's zero time "0001-01-01T00:00:00Z" parses; callers
// check is_zero_time() to show "—" for it.
std::optional<int64_t> parse_rfc3339_ms(std::string_view text);
bool is_zero_time(std::string_view rfc3339);

// "3h 12m", "45s", "2d 4h": a compact duration for tables.
std::string format_duration(int64_t ms);

}  // namespace vitrine::pc
