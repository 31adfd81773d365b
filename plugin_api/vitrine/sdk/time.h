/*
 * Vitrine plugin SDK: time formatting and parsing.
 *
 * Pure arithmetic on the proleptic Gregorian calendar: no libc time zone
 * state, no locale, no allocation. Times are unix milliseconds (the unit of
 * vitrine_render_request.now_ms). Offsets are seconds east of UTC. IANA zone
 * names ("Europe/Berlin") are not handled here, because the C library keeps
 * one process-wide zone; the bundled plugins resolve them in their C++ layer
 * (docs/sdk.md, "Time zones").
 *
 * Thread rule: no state outside the arguments; any thread.
 */
#ifndef VITRINE_SDK_TIME_H
#define VITRINE_SDK_TIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Big enough for every string these functions write, NUL included. */
#define VSDK_TIME_BUF 48

/* RFC 3339 in UTC: "2026-11-29T10:42:07Z", or "2026-11-29T10:42:07.250Z"
 * when unix_ms has a millisecond part. Writes into `out` (NUL-terminated)
 * and returns the length. Years outside 0000-9999 are written with as many
 * digits as they need (and a '-' sign), which RFC 3339 does not cover. */
size_t vsdk_time_rfc3339(int64_t unix_ms, char out[VSDK_TIME_BUF]);

/* What readers see: "2026-11-29 10:42 UTC" for offset 0, else
 * "2026-11-29 12:42 +02:00" (the local time at that offset and the offset).
 * Seconds are cut, not rounded. Returns the length written into `out`. */
size_t vsdk_time_display(int64_t unix_ms, int32_t offset_s, char out[VSDK_TIME_BUF]);

/* "+02:00" / "-05:30" for an offset in seconds; returns the length. */
size_t vsdk_time_offset_text(int32_t offset_s, char out[VSDK_TIME_BUF]);

/* Parses an offset "+02:00", "-0530", "+2" or "-11" (hours at most 14,
 * minutes at most 59) into seconds east of UTC. Returns 1 and sets
 * *offset_s, or 0 (nothing set) for anything else. */
int vsdk_time_parse_offset(const char* text, size_t len, int32_t* offset_s);

/* Parses RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" ('t' or a
 * space also separate date and time; fraction digits beyond milliseconds
 * are cut) into unix ms. Returns 1 and sets *unix_ms, or 0 for malformed
 * text or an out-of-range field. Grafana's zero time
 * "0001-01-01T00:00:00Z" parses like any other. */
int vsdk_time_parse_rfc3339(const char* text, size_t len, int64_t* unix_ms);

/* A compact duration for tables: "45s", "3h 12m", "2d 4h" (minutes are
 * dropped once there are days); the sign is ignored. Returns the length. */
size_t vsdk_time_duration(int64_t ms, char out[VSDK_TIME_BUF]);

#ifdef __cplusplus
}
#endif

#endif /* VITRINE_SDK_TIME_H */
