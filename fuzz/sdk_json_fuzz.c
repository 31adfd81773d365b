/* libFuzzer target for the SDK's JSON reader (plugin_api/sdk/json.c): any
 * answer a Grafana stack, or something pretending to be one, can send a
 * plugin. Each input is parsed with the default limits and with small ones,
 * and invariants are checked (abort on violation):
 *   - a failure is VITRINE_E_INVALID or VITRINE_E_TOO_LARGE with a message
 *     and an offset within the input, and leaves no document;
 *   - in a parsed tree every string and key is valid UTF-8 and
 *     NUL-terminated, every member is found again by its key (no duplicate
 *     keys survive), and the typed getters agree with the type;
 *   - writing the tree back as JSON and parsing that gives the same text
 *     again (the reader keeps everything it accepted);
 *   - escaping the input as HTML leaves none of < > " ' & unescaped.
 * Run: scripts/fuzz.sh [seconds]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitrine/sdk/sdk.h"

#define REQUIRE(cond)                                                                      \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "sdk_json_fuzz: invariant failed: %s (line %d)\n", #cond, __LINE__); \
      abort();                                                                             \
    }                                                                                      \
  } while (0)

static int valid_utf8(const unsigned char* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    size_t k;
    unsigned cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      k = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      k = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      k = 4;
      cp = c & 0x07;
    } else {
      return 0;
    }
    if (n - i < k) return 0;
    for (size_t j = 1; j < k; ++j) {
      if ((s[i + j] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + j] & 0x3F);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    i += k;
  }
  return 1;
}

static void write_string(vsdk_buf* out, vitrine_str s) {
  vsdk_buf_putc(out, '"');
  for (size_t i = 0; i < s.len; ++i) {
    const unsigned char c = (unsigned char)s.ptr[i];
    if (c < 0x20 || c == '"' || c == '\\') {
      char esc[8];
      snprintf(esc, sizeof esc, "\\u%04x", c);
      vsdk_buf_puts(out, esc);
    } else {
      vsdk_buf_putc(out, (char)c);
    }
  }
  vsdk_buf_putc(out, '"');
}

/* Checks one node and writes it back as JSON. */
static void walk(const vsdk_json* n, vsdk_buf* out) {
  vitrine_str s;
  double d;
  int64_t i64;
  int b;
  const vsdk_json_type t = vsdk_json_type_of(n);
  REQUIRE(vsdk_json_string(n, &s) == (t == VSDK_JSON_STRING));
  REQUIRE(vsdk_json_bool(n, &b) == (t == VSDK_JSON_BOOL));
  REQUIRE(vsdk_json_is_null(n) == (t == VSDK_JSON_NULL));
  if (t != VSDK_JSON_NUMBER) {
    REQUIRE(vsdk_json_double(n, &d) == 0 && vsdk_json_int64(n, &i64) == 0);
  }
  REQUIRE(vsdk_json_size(n) == 0 || t == VSDK_JSON_ARRAY || t == VSDK_JSON_OBJECT);
  switch (t) {
    case VSDK_JSON_NULL:
      vsdk_buf_puts(out, "null");
      break;
    case VSDK_JSON_BOOL:
      vsdk_buf_puts(out, b ? "true" : "false");
      break;
    case VSDK_JSON_NUMBER: {
      const vitrine_str text = vsdk_json_number_text(n);
      REQUIRE(text.ptr != NULL && text.len > 0 && text.ptr[text.len] == '\0');
      (void)vsdk_json_double(n, &d);
      (void)vsdk_json_int64(n, &i64);
      vsdk_buf_append(out, text.ptr, text.len);
      break;
    }
    case VSDK_JSON_STRING:
      REQUIRE(s.ptr[s.len] == '\0');
      REQUIRE(valid_utf8((const unsigned char*)s.ptr, s.len));
      write_string(out, s);
      break;
    case VSDK_JSON_ARRAY:
      vsdk_buf_putc(out, '[');
      for (size_t i = 0; i < vsdk_json_size(n); ++i) {
        if (i > 0) vsdk_buf_putc(out, ',');
        REQUIRE(vsdk_json_key_at(n, i).ptr == NULL);
        walk(vsdk_json_at(n, i), out);
      }
      vsdk_buf_putc(out, ']');
      break;
    case VSDK_JSON_OBJECT:
      vsdk_buf_putc(out, '{');
      for (size_t i = 0; i < vsdk_json_size(n); ++i) {
        const vitrine_str key = vsdk_json_key_at(n, i);
        REQUIRE(key.ptr != NULL && key.ptr[key.len] == '\0');
        REQUIRE(valid_utf8((const unsigned char*)key.ptr, key.len));
        REQUIRE(vsdk_json_get_n(n, key.ptr, key.len) == vsdk_json_at(n, i));
        if (i > 0) vsdk_buf_putc(out, ',');
        write_string(out, key);
        vsdk_buf_putc(out, ':');
        walk(vsdk_json_at(n, i), out);
      }
      vsdk_buf_putc(out, '}');
      break;
    case VSDK_JSON_MISSING:
      REQUIRE(0);
  }
}

static void check_parse(const char* data, size_t size, const vsdk_json_limits* limits) {
  vsdk_json_doc* doc = (vsdk_json_doc*)&doc; /* must be reset to NULL on failure */
  vsdk_json_error err;
  const vitrine_status st = vsdk_json_parse(data, size, limits, &doc, &err);
  if (st != VITRINE_OK) {
    REQUIRE(st == VITRINE_E_INVALID || st == VITRINE_E_TOO_LARGE);
    REQUIRE(doc == NULL);
    REQUIRE(err.message[0] != '\0');
    REQUIRE(err.offset <= size);
    return;
  }
  vsdk_buf first;
  vsdk_buf_init(&first, 0);
  walk(vsdk_json_root(doc), &first);
  vsdk_json_free(doc);
  REQUIRE(first.failed == VITRINE_OK);

  /* The rewritten text parses (with the default limits: the rewrite is no
   * deeper, and at most 6x longer, than the input) and rewrites identically. */
  vsdk_json_doc* again = NULL;
  REQUIRE(vsdk_json_parse(vsdk_buf_cstr(&first), first.len, NULL, &again, &err) == VITRINE_OK);
  vsdk_buf second;
  vsdk_buf_init(&second, 0);
  walk(vsdk_json_root(again), &second);
  vsdk_json_free(again);
  REQUIRE(second.len == first.len &&
          memcmp(vsdk_buf_cstr(&first), vsdk_buf_cstr(&second), first.len) == 0);
  vsdk_buf_free(&first);
  vsdk_buf_free(&second);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* text = (const char*)data;
  check_parse(text, size, NULL);
  const vsdk_json_limits small = {64, 4};
  check_parse(text, size, &small);

  vsdk_buf html;
  vsdk_buf_init(&html, 0);
  REQUIRE(vsdk_html_escape(&html, text, size) == VITRINE_OK);
  for (size_t i = 0; i < html.len; ++i) {
    const char c = html.data[i];
    REQUIRE(c != '<' && c != '>' && c != '"' && c != '\'' && c != '\0');
    if (c == '&') {
      REQUIRE(strncmp(html.data + i, "&amp;", 5) == 0 || strncmp(html.data + i, "&lt;", 4) == 0 ||
              strncmp(html.data + i, "&gt;", 4) == 0 || strncmp(html.data + i, "&quot;", 6) == 0 ||
              strncmp(html.data + i, "&#39;", 5) == 0);
    }
  }
  vsdk_buf_free(&html);
  return 0;
}
