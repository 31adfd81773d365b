/*
 * Vitrine plugin SDK: a growable byte buffer.
 *
 * Every SDK function that produces text appends to a vsdk_buf (or writes
 * straight into a host vitrine_sink). The buffer owns its memory, obtained
 * with malloc/realloc and released by vsdk_buf_free() only: nothing else in
 * the SDK allocates on its behalf. A buffer has a byte limit so a plugin
 * cannot grow without bound on hostile input; once an append fails the
 * buffer stays failed (sticky) so a chain of appends needs one check at the
 * end.
 *
 * Thread rule: a buffer belongs to one thread at a time; the functions keep
 * no state outside the buffer.
 */
#ifndef VITRINE_SDK_BUF_H
#define VITRINE_SDK_BUF_H

#include <stddef.h>

#include "vitrine/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The default limit when vsdk_buf_init() is given 0: 64 MiB. */
#define VSDK_BUF_DEFAULT_MAX (64u * 1024u * 1024u)

typedef struct vsdk_buf {
  char* data; /* owned; NULL until the first append; NUL-terminated after one */
  size_t len; /* bytes written, without the terminating NUL */
  size_t cap; /* bytes allocated */
  size_t max; /* the limit on len */
  int failed; /* 0, or the first failure: VITRINE_E_TOO_LARGE or VITRINE_E_INTERNAL */
} vsdk_buf;

/* Prepares an empty buffer; allocates nothing. `max` is the most bytes it
 * may hold (0 = VSDK_BUF_DEFAULT_MAX). */
void vsdk_buf_init(vsdk_buf* buf, size_t max);

/* Appends `len` bytes. Returns VITRINE_OK; VITRINE_E_TOO_LARGE when the
 * limit would be passed; VITRINE_E_INTERNAL when memory ran out; or the
 * earlier failure when the buffer has already failed (nothing is appended
 * then). A failed append leaves the earlier content intact. */
vitrine_status vsdk_buf_append(vsdk_buf* buf, const char* data, size_t len);

/* Appends a NUL-terminated string; same returns as vsdk_buf_append(). */
vitrine_status vsdk_buf_puts(vsdk_buf* buf, const char* text);

/* Appends one byte; same returns as vsdk_buf_append(). */
vitrine_status vsdk_buf_putc(vsdk_buf* buf, char c);

/* The content as a NUL-terminated string, "" when empty. Borrowed: valid
 * until the next append or vsdk_buf_free(). */
const char* vsdk_buf_cstr(const vsdk_buf* buf);

/* Empties the buffer and clears a failure; keeps the allocation. */
void vsdk_buf_clear(vsdk_buf* buf);

/* Writes the content to a host sink. Returns the buffer's failure if it has
 * one (nothing is written), else what the sink returned. */
vitrine_status vsdk_buf_to_sink(const vsdk_buf* buf, vitrine_sink* sink);

/* Releases the memory and leaves an empty buffer (init'ed with the same
 * limit). Safe to call twice. */
void vsdk_buf_free(vsdk_buf* buf);

#ifdef __cplusplus
}
#endif

#endif /* VITRINE_SDK_BUF_H */
