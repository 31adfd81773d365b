// Times as Grafana writes them, read to unix milliseconds: the one grammar
// shared by the manifest's `time` parameters (manifest.cpp), the parameter
// binder (params.cpp), a macro's time range (invoke.cpp) and the link
// converter (pages/grafana_link.cpp), so a time Grafana puts in a link is a
// time a macro reads.
//
//   relative   now ( [+-] N unit )* ( / unit )?      N: 1-9 digits
//              unit: ms s m h d w M y (M = month, y = year)
//              e.g. now, now-6h, now-1d/d, now/w, now-1M, now+30m
//   absolute   YYYY-MM-DD [ THH:MM [ :SS [ .fraction ] ] [ Z | +HH:MM | -HH:MM ] ]
//              e.g. 2026-11-29, 2026-11-29T10:00:00Z, 2026-11-29T10:00:00.250+02:00
//   epoch      1 to 16 digits of unix milliseconds, e.g. 1700000000000
//
// Everything is computed in UTC: a time without an offset is UTC (a page is
// read in many zones; the server's zone must not change what it shows), days
// start at 00:00 UTC, weeks on Monday (ISO 8601), and month and year offsets
// keep the day of the month, clamped to the month's last day (Jan 31 + 1M =
// Feb 28 or 29), as Grafana's time picker does.
//
// Rounding (/unit) goes to the start of the unit, or with Round::up to its
// last millisecond: Grafana rounds the end of a range up, so `from=now/d
// to=now/d` is today from 00:00:00.000 to 23:59:59.999.
//
// Results outside 1970-01-01 .. 9999-12-31 are refused, as are offsets that
// would overflow; nothing here reads the clock (now_ms is given).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vitrine::plugins {

enum class Round { down, up };

// Unix milliseconds, or nullopt when `text` is not a time of the grammar
// above. [thread-safe]
std::optional<int64_t> parse_time_ms(std::string_view text, int64_t now_ms,
                                     Round round = Round::down);

}  // namespace vitrine::plugins
