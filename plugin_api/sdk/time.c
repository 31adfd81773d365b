/* Time arithmetic and text (vitrine/sdk/time.h). Howard Hinnant's
 * days_from_civil / civil_from_days are exact over the whole proleptic
 * Gregorian range and need no libc time zone state, which is process-wide
 * and would make these functions unsafe on a render thread. */
#include "vitrine/sdk/time.h"

#include <stdio.h>

typedef struct civil {
  int64_t y;
  unsigned m, d, hh, mm, ss;
} civil;

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static civil civil_from_unix_s(int64_t s) {
  int64_t days = s / 86400;
  int64_t rem = s % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = (int64_t)yoe + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  civil c = {y + (m <= 2 ? 1 : 0), m, d, (unsigned)(rem / 3600), (unsigned)((rem % 3600) / 60),
             (unsigned)(rem % 60)};
  return c;
}

/* Floor division: -1 ms is in the second before the epoch, not after. */
static int64_t floor_seconds(int64_t unix_ms) {
  int64_t s = unix_ms / 1000;
  if (unix_ms % 1000 < 0) --s;
  return s;
}

static size_t finish(int n, char* out) {
  if (n < 0) {
    out[0] = '\0';
    return 0;
  }
  return (size_t)n < VSDK_TIME_BUF ? (size_t)n : VSDK_TIME_BUF - 1;
}

size_t vsdk_time_rfc3339(int64_t unix_ms, char out[VSDK_TIME_BUF]) {
  const int64_t s = floor_seconds(unix_ms);
  /* Not unix_ms - s * 1000: s * 1000 overflows near INT64_MIN. */
  const int64_t ms = unix_ms % 1000 < 0 ? unix_ms % 1000 + 1000 : unix_ms % 1000;
  const civil c = civil_from_unix_s(s);
  int n;
  if (ms == 0) {
    n = snprintf(out, VSDK_TIME_BUF, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)c.y, c.m, c.d,
                 c.hh, c.mm, c.ss);
  } else {
    n = snprintf(out, VSDK_TIME_BUF, "%04lld-%02u-%02uT%02u:%02u:%02u.%03dZ", (long long)c.y, c.m,
                 c.d, c.hh, c.mm, c.ss, (int)ms);
  }
  return finish(n, out);
}

size_t vsdk_time_offset_text(int32_t offset_s, char out[VSDK_TIME_BUF]) {
  const long a = offset_s < 0 ? -(long)offset_s : (long)offset_s;
  const int n = snprintf(out, VSDK_TIME_BUF, "%c%02ld:%02ld", offset_s < 0 ? '-' : '+', a / 3600,
                         (a % 3600) / 60);
  return finish(n, out);
}

size_t vsdk_time_display(int64_t unix_ms, int32_t offset_s, char out[VSDK_TIME_BUF]) {
  const civil c = civil_from_unix_s(floor_seconds(unix_ms) + offset_s);
  char zone[VSDK_TIME_BUF] = "UTC";
  if (offset_s != 0) vsdk_time_offset_text(offset_s, zone);
  const int n = snprintf(out, VSDK_TIME_BUF, "%04lld-%02u-%02u %02u:%02u %s", (long long)c.y, c.m,
                         c.d, c.hh, c.mm, zone);
  return finish(n, out);
}

static int digits(const char* s, size_t len) {
  if (len == 0) return 0;
  for (size_t i = 0; i < len; ++i) {
    if (s[i] < '0' || s[i] > '9') return 0;
  }
  return 1;
}

static int to_int(const char* s, size_t len) {
  int v = 0;
  for (size_t i = 0; i < len; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

int vsdk_time_parse_offset(const char* s, size_t len, int32_t* offset_s) {
  if (s == NULL || len < 2 || (s[0] != '+' && s[0] != '-')) return 0;
  const int sign = s[0] == '-' ? -1 : 1;
  const char* r = s + 1;
  const size_t n = len - 1;
  int h = 0;
  int m = 0;
  if (n == 5 && r[2] == ':' && digits(r, 2) && digits(r + 3, 2)) {
    h = to_int(r, 2);
    m = to_int(r + 3, 2);
  } else if (n == 4 && digits(r, 4)) {
    h = to_int(r, 2);
    m = to_int(r + 2, 2);
  } else if ((n == 1 || n == 2) && digits(r, n)) {
    h = to_int(r, n);
  } else {
    return 0;
  }
  if (h > 14 || m > 59) return 0;
  *offset_s = sign * (h * 3600 + m * 60);
  return 1;
}

int vsdk_time_parse_rfc3339(const char* t, size_t len, int64_t* unix_ms) {
  if (t == NULL || len < 20) return 0;
  if (!digits(t, 4) || t[4] != '-' || !digits(t + 5, 2) || t[7] != '-' || !digits(t + 8, 2) ||
      (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || !digits(t + 11, 2) || t[13] != ':' ||
      !digits(t + 14, 2) || t[16] != ':' || !digits(t + 17, 2)) {
    return 0;
  }
  const int y = to_int(t, 4);
  const unsigned mo = (unsigned)to_int(t + 5, 2);
  const unsigned d = (unsigned)to_int(t + 8, 2);
  const int hh = to_int(t + 11, 2);
  const int mi = to_int(t + 14, 2);
  const int ss = to_int(t + 17, 2);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || ss > 60) return 0;
  size_t i = 19;
  int64_t ms = 0;
  if (i < len && t[i] == '.') {
    ++i;
    int64_t scale = 100;
    const size_t start = i;
    while (i < len && t[i] >= '0' && t[i] <= '9') {
      ms += (t[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return 0;
  }
  int32_t offset = 0;
  const char* zone = t + i;
  const size_t zlen = len - i;
  if (zlen == 1 && (zone[0] == 'Z' || zone[0] == 'z')) {
    offset = 0;
  } else if (zlen == 6 && zone[3] == ':') {
    if (!vsdk_time_parse_offset(zone, zlen, &offset)) return 0;
  } else {
    return 0;
  }
  const int64_t days = days_from_civil(y, mo, d);
  const int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - offset;
  *unix_ms = secs * 1000 + ms;
  return 1;
}

size_t vsdk_time_duration(int64_t ms, char out[VSDK_TIME_BUF]) {
  /* INT64_MIN has no positive counterpart; one millisecond less is fine. */
  if (ms < 0) ms = ms == INT64_MIN ? INT64_MAX : -ms;
  const long long s = (long long)(ms / 1000);
  if (s < 60) return finish(snprintf(out, VSDK_TIME_BUF, "%llds", s), out);
  const long long d = s / 86400;
  const long long h = (s % 86400) / 3600;
  const long long m = (s % 3600) / 60;
  size_t n = 0;
  out[0] = '\0';
  if (d > 0) n += finish(snprintf(out + n, VSDK_TIME_BUF - n, "%lldd", d), out + n);
  if (h > 0) n += finish(snprintf(out + n, VSDK_TIME_BUF - n, "%s%lldh", n ? " " : "", h), out + n);
  if (m > 0 && d == 0) {
    n += finish(snprintf(out + n, VSDK_TIME_BUF - n, "%s%lldm", n ? " " : "", m), out + n);
  }
  if (n == 0) return finish(snprintf(out, VSDK_TIME_BUF, "0s"), out);
  return n;
}
