/*
 * Vitrine plugin SDK: a strict, read-only JSON reader (RFC 8259).
 *
 * vsdk_json_parse() reads a whole document into a tree owned by one handle,
 * vsdk_json_doc; every node, key and string lives in that handle's arena and
 * is freed by one vsdk_json_free(). The tree does not point into the input:
 * the caller may free the input as soon as parse returns.
 *
 * Accessors take and return `const vsdk_json*` and accept NULL, returning
 * "missing" (NULL, 0, type VSDK_JSON_MISSING), so a lookup chain over a
 * document of an unexpected shape needs one check at the end:
 *   vsdk_json_get(vsdk_json_get(root, "meta"), "folderTitle")
 *
 * Deliberate choices (docs/sdk.md):
 *  - the whole document must be valid UTF-8 (no overlong forms, no encoded
 *    surrogates, nothing above U+10FFFF); a byte order mark is refused;
 *  - \uXXXX escapes become UTF-8; a surrogate pair becomes one code point; a
 *    lone or reversed surrogate is an error; \u0000 is kept (strings carry a
 *    length and may hold NUL bytes);
 *  - an object with the same key twice is an error: there is no "first wins"
 *    or "last wins" for two readers to disagree about;
 *  - anything but whitespace after the value is an error;
 *  - numbers follow the JSON grammar exactly; a number too large for a double
 *    parses, but vsdk_json_double() refuses it (it is not finite), and
 *    vsdk_json_int64() reads integer text exactly, refusing it outside int64.
 *
 * Thread rule: parse and free from one thread; a parsed document is never
 * modified, so any number of threads may read it at once.
 */
#ifndef VITRINE_SDK_JSON_H
#define VITRINE_SDK_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "vitrine/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vsdk_json_doc vsdk_json_doc; /* opaque; owns the tree */
typedef struct vsdk_json vsdk_json;         /* opaque; one value in a tree */

typedef enum vsdk_json_type {
  VSDK_JSON_MISSING = 0, /* a NULL node: a lookup found nothing */
  VSDK_JSON_NULL = 1,
  VSDK_JSON_BOOL = 2,
  VSDK_JSON_NUMBER = 3,
  VSDK_JSON_STRING = 4,
  VSDK_JSON_ARRAY = 5,
  VSDK_JSON_OBJECT = 6
} vsdk_json_type;

/* Defaults (a zero field in vsdk_json_limits means the default). */
#define VSDK_JSON_DEFAULT_MAX_BYTES (64u * 1024u * 1024u)
#define VSDK_JSON_DEFAULT_MAX_DEPTH 64u
/* The parser recurses once per level; deeper limits are clamped to this. */
#define VSDK_JSON_MAX_DEPTH_CAP 1024u

typedef struct vsdk_json_limits {
  size_t max_bytes;   /* the longest input accepted; 0 = default */
  uint32_t max_depth; /* arrays/objects nested deeper fail; 0 = default */
} vsdk_json_limits;

typedef struct vsdk_json_error {
  size_t offset;     /* byte offset in the input where the problem was found */
  char message[128]; /* what is wrong, NUL-terminated, e.g. "expected ':' after an object key" */
} vsdk_json_error;

/* Parses `len` bytes at `text` (which need not be NUL-terminated).
 * `limits` may be NULL (defaults); `error` may be NULL.
 * Returns VITRINE_OK and sets *out to a new document the caller frees with
 * vsdk_json_free(); or, with *out set to NULL and `error` filled:
 *   VITRINE_E_INVALID   the text is not one valid JSON value (syntax, UTF-8,
 *                       escapes, duplicate key, trailing data, empty input);
 *   VITRINE_E_TOO_LARGE the input is longer than max_bytes or nests deeper
 *                       than max_depth;
 *   VITRINE_E_INTERNAL  memory ran out, or `out` is NULL. */
vitrine_status vsdk_json_parse(const char* text, size_t len, const vsdk_json_limits* limits,
                               vsdk_json_doc** out, vsdk_json_error* error);

/* Frees the document and every node, key and string in it. NULL is fine. */
void vsdk_json_free(vsdk_json_doc* doc);

/* The top-level value (never NULL for a parsed document; NULL for NULL). */
const vsdk_json* vsdk_json_root(const vsdk_json_doc* doc);

/* The node's type; VSDK_JSON_MISSING for NULL. */
vsdk_json_type vsdk_json_type_of(const vsdk_json* node);

/* The member `key` (NUL-terminated) of an object; NULL when `node` is not
 * an object or has no such member. O(log n). */
const vsdk_json* vsdk_json_get(const vsdk_json* node, const char* key);
/* The same with an explicit key length. */
const vsdk_json* vsdk_json_get_n(const vsdk_json* node, const char* key, size_t key_len);

/* Items of an array or members of an object; 0 for anything else. */
size_t vsdk_json_size(const vsdk_json* node);

/* Item `index` of an array, or the value of member `index` of an object in
 * document order; NULL when out of range or not a container. O(1). */
const vsdk_json* vsdk_json_at(const vsdk_json* node, size_t index);

/* The key of member `index` of an object (document order), unescaped and
 * NUL-terminated, owned by the document; {NULL, 0} when not applicable. */
vitrine_str vsdk_json_key_at(const vsdk_json* node, size_t index);

/* Typed getters: each returns 1 and sets *out when the node has that type
 * (and, for numbers, the value fits), else 0 and leaves *out alone. */
/* A string, unescaped UTF-8, NUL-terminated, owned by the document. */
int vsdk_json_string(const vsdk_json* node, vitrine_str* out);
/* A finite number as a double (as strtod rounds it). */
int vsdk_json_double(const vsdk_json* node, double* out);
/* An integer within int64: integer text is read exactly ("9007199254740993"
 * stays exact); a number with a fraction or exponent counts when its value
 * is integral and at most 2^53 in magnitude ("1e3", "2.0"). */
int vsdk_json_int64(const vsdk_json* node, int64_t* out);
/* true/false as 1/0. */
int vsdk_json_bool(const vsdk_json* node, int* out);
/* 1 for a JSON null, else 0 (0 for a missing node too). */
int vsdk_json_is_null(const vsdk_json* node);

/* The number's text exactly as it appeared in the input; {NULL, 0} when the
 * node is not a number. For readers that need more than a double. */
vitrine_str vsdk_json_number_text(const vsdk_json* node);

#ifdef __cplusplus
}
#endif

#endif /* VITRINE_SDK_JSON_H */
