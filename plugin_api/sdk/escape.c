/* HTML and URL escaping (vitrine/sdk/escape.h). One core per context writes
 * through a small writer so the buffer and the sink variants cannot drift. */
#include "vitrine/sdk/escape.h"

#include <stdio.h>
#include <string.h>

typedef vitrine_status (*write_fn)(void* target, const char* data, size_t len);

static vitrine_status to_buf(void* target, const char* data, size_t len) {
  return vsdk_buf_append((vsdk_buf*)target, data, len);
}

static vitrine_status to_sink(void* target, const char* data, size_t len) {
  vitrine_sink* sink = (vitrine_sink*)target;
  if (sink == NULL || sink->write == NULL) return VITRINE_E_INVALID;
  return sink->write(sink, data, len);
}

/* Copies runs of safe bytes in one write and replaces the five HTML
 * specials and NUL. */
static vitrine_status html_core(write_fn w, void* target, const char* text, size_t len) {
  size_t start = 0;
  for (size_t i = 0; i < len; ++i) {
    const char* rep = NULL;
    switch (text[i]) {
      case '&':
        rep = "&amp;";
        break;
      case '<':
        rep = "&lt;";
        break;
      case '>':
        rep = "&gt;";
        break;
      case '"':
        rep = "&quot;";
        break;
      case '\'':
        rep = "&#39;";
        break;
      case '\0':
        rep = "\xEF\xBF\xBD";
        break;
      default:
        continue;
    }
    vitrine_status st = i > start ? w(target, text + start, i - start) : VITRINE_OK;
    if (st == VITRINE_OK) st = w(target, rep, strlen(rep));
    if (st != VITRINE_OK) return st;
    start = i + 1;
  }
  return len > start ? w(target, text + start, len - start) : VITRINE_OK;
}

vitrine_status vsdk_html_escape(vsdk_buf* out, const char* text, size_t len) {
  return html_core(to_buf, out, text, len);
}
vitrine_status vsdk_html_escape_sink(vitrine_sink* out, const char* text, size_t len) {
  return html_core(to_sink, out, text, len);
}
vitrine_status vsdk_attr_escape(vsdk_buf* out, const char* text, size_t len) {
  return html_core(to_buf, out, text, len);
}
vitrine_status vsdk_attr_escape_sink(vitrine_sink* out, const char* text, size_t len) {
  return html_core(to_sink, out, text, len);
}

static int unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

static vitrine_status pct_core(vsdk_buf* out, const char* text, size_t len) {
  static const char kHex[] = "0123456789ABCDEF";
  size_t start = 0;
  for (size_t i = 0; i < len; ++i) {
    const unsigned char c = (unsigned char)text[i];
    if (unreserved(c)) continue;
    const char enc[3] = {'%', kHex[c >> 4], kHex[c & 0xF]};
    vitrine_status st = i > start ? vsdk_buf_append(out, text + start, i - start) : VITRINE_OK;
    if (st == VITRINE_OK) st = vsdk_buf_append(out, enc, 3);
    if (st != VITRINE_OK) return st;
    start = i + 1;
  }
  return len > start ? vsdk_buf_append(out, text + start, len - start) : VITRINE_OK;
}

vitrine_status vsdk_url_path_segment(vsdk_buf* out, const char* text, size_t len) {
  return pct_core(out, text, len);
}

vitrine_status vsdk_url_query_component(vsdk_buf* out, const char* text, size_t len) {
  return pct_core(out, text, len);
}

vitrine_status vsdk_query_add_n(vsdk_buf* url, const char* name, const char* value,
                                size_t value_len) {
  const int first = url->data == NULL || memchr(url->data, '?', url->len) == NULL;
  vitrine_status st = vsdk_buf_putc(url, first ? '?' : '&');
  if (st == VITRINE_OK) st = pct_core(url, name, strlen(name));
  if (st == VITRINE_OK) st = vsdk_buf_putc(url, '=');
  if (st == VITRINE_OK) st = pct_core(url, value, value_len);
  return st;
}

vitrine_status vsdk_query_add(vsdk_buf* url, const char* name, const char* value) {
  return vsdk_query_add_n(url, name, value, strlen(value));
}

vitrine_status vsdk_query_add_int(vsdk_buf* url, const char* name, int64_t value) {
  char digits[24];
  const int n = snprintf(digits, sizeof digits, "%lld", (long long)value);
  return vsdk_query_add_n(url, name, digits, (size_t)n);
}
