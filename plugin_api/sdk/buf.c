/* The growable buffer behind every SDK writer (vitrine/sdk/buf.h). */
#include "vitrine/sdk/buf.h"

#include <stdlib.h>
#include <string.h>

void vsdk_buf_init(vsdk_buf* buf, size_t max) {
  buf->data = NULL;
  buf->len = 0;
  buf->cap = 0;
  buf->max = max == 0 ? VSDK_BUF_DEFAULT_MAX : max;
  buf->failed = VITRINE_OK;
}

/* Makes room for `extra` more bytes plus the terminating NUL. */
static vitrine_status reserve(vsdk_buf* buf, size_t extra) {
  if (extra > buf->max - buf->len) return VITRINE_E_TOO_LARGE;
  const size_t need = buf->len + extra + 1;
  if (need <= buf->cap) return VITRINE_OK;
  size_t cap = buf->cap < 64 ? 64 : buf->cap;
  while (cap < need) cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
  char* data = (char*)realloc(buf->data, cap);
  if (data == NULL) return VITRINE_E_INTERNAL;
  buf->data = data;
  buf->cap = cap;
  return VITRINE_OK;
}

vitrine_status vsdk_buf_append(vsdk_buf* buf, const char* data, size_t len) {
  if (buf->failed != VITRINE_OK) return (vitrine_status)buf->failed;
  const vitrine_status st = reserve(buf, len);
  if (st != VITRINE_OK) {
    buf->failed = st;
    return st;
  }
  if (len > 0) memcpy(buf->data + buf->len, data, len);
  buf->len += len;
  buf->data[buf->len] = '\0';
  return VITRINE_OK;
}

vitrine_status vsdk_buf_puts(vsdk_buf* buf, const char* text) {
  return vsdk_buf_append(buf, text, strlen(text));
}

vitrine_status vsdk_buf_putc(vsdk_buf* buf, char c) { return vsdk_buf_append(buf, &c, 1); }

const char* vsdk_buf_cstr(const vsdk_buf* buf) { return buf->data != NULL ? buf->data : ""; }

void vsdk_buf_clear(vsdk_buf* buf) {
  buf->len = 0;
  buf->failed = VITRINE_OK;
  if (buf->data != NULL) buf->data[0] = '\0';
}

vitrine_status vsdk_buf_to_sink(const vsdk_buf* buf, vitrine_sink* sink) {
  if (buf->failed != VITRINE_OK) return (vitrine_status)buf->failed;
  if (sink == NULL || sink->write == NULL) return VITRINE_E_INVALID;
  return sink->write(sink, vsdk_buf_cstr(buf), buf->len);
}

void vsdk_buf_free(vsdk_buf* buf) {
  free(buf->data);
  vsdk_buf_init(buf, buf->max);
}
