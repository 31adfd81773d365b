/*
 * One test-plugin source, built once per row of the negotiation matrix with
 * different defines (see CMakeLists.txt). Each define breaks exactly one
 * thing the loader must refuse, or exercises one render outcome.
 *   MATRIX_ID, MATRIX_MACRO        identity in the manifest (and the entry)
 *   MATRIX_ENTRY_ID/_MACRO         an entry identity that differs from it
 *   MATRIX_VERSION                 plugin version string
 *   MATRIX_ABI_MAJOR/MINOR         ABI the entry claims
 *   MATRIX_NO_ENTRY                export the entry under another name
 *   MATRIX_SMALL_STRUCT            struct_size smaller than a v1 entry
 *   MATRIX_TRUNCATED               object shorter than its struct_size claims
 *   MATRIX_CREATE_FAILS            create() fails with a reason
 *   MATRIX_BAD_STATUS              render() returns a status outside the set
 *   MATRIX_FLOOD                   render() writes more HTML than the host keeps
 */
#include <string.h>
#include <vitrine/capabilities.h>
#include <vitrine/plugin.h>

/* Some rows export no working entry, leaving these unreferenced. */
#define MATRIX_MAYBE_UNUSED __attribute__((unused))

#ifndef MATRIX_ENTRY_ID
#define MATRIX_ENTRY_ID MATRIX_ID
#endif
#ifndef MATRIX_ENTRY_MACRO
#define MATRIX_ENTRY_MACRO MATRIX_MACRO
#endif
#ifndef MATRIX_VERSION
#define MATRIX_VERSION "1.0.0"
#endif
#ifndef MATRIX_ABI_MAJOR
#define MATRIX_ABI_MAJOR VITRINE_ABI_MAJOR
#endif
#ifndef MATRIX_ABI_MINOR
#define MATRIX_ABI_MINOR VITRINE_ABI_MINOR
#endif

static vitrine_status matrix_render(const vitrine_plugin* self, vitrine_call* call,
                                    const vitrine_render_request* req, vitrine_render_result* res) {
  (void)self;
  (void)call;
#if defined(MATRIX_BAD_STATUS)
  (void)req;
  (void)res;
  return 42;
#elif defined(MATRIX_FLOOD)
  (void)req;
  static char block[65536];
  memset(block, 'x', sizeof block);
  for (int i = 0; i < 1024; ++i) {
    if (res->html->write(res->html, block, sizeof block) == VITRINE_E_TOO_LARGE) break;
  }
  return VITRINE_OK;
#else
  /* Echo what the host bound, so tests can see typed parameters arrive. */
  vitrine_sink_puts(res->html, "<p>");
  res->html->write(res->html, req->macro_key.ptr, req->macro_key.len);
  for (size_t i = 0; i < req->param_count; ++i) {
    const vitrine_param* p = &req->params[i];
    char num[32];
    int n = 0;
    long long v = (long long)p->int_value;
    vitrine_sink_puts(res->html, " ");
    res->html->write(res->html, p->name.ptr, p->name.len);
    vitrine_sink_puts(res->html, "=");
    res->html->write(res->html, p->text_value.ptr, p->text_value.len);
    vitrine_sink_puts(res->html, "/");
    if (v < 0) {
      vitrine_sink_puts(res->html, "-");
      v = -v;
    }
    do {
      num[n++] = (char)('0' + v % 10);
      v /= 10;
    } while (v > 0 && n < 31);
    while (n > 0) res->html->write(res->html, &num[--n], 1);
  }
  vitrine_sink_puts(res->html, "</p>");
  res->cache_ttl_s = 60;
  return VITRINE_OK;
#endif
}

MATRIX_MAYBE_UNUSED static vitrine_plugin matrix_instance = {sizeof(vitrine_plugin), NULL,
                                                             matrix_render, NULL};

MATRIX_MAYBE_UNUSED static vitrine_status matrix_create(const vitrine_host* host,
                                                        const vitrine_plugin** out,
                                                        vitrine_sink* reason) {
  (void)host;
#ifdef MATRIX_CREATE_FAILS
  (void)out;
  vitrine_sink_puts(reason, "the matrix plugin was built to fail in create()");
  return VITRINE_E_INTERNAL;
#else
  (void)reason;
  *out = &matrix_instance;
  return VITRINE_OK;
#endif
}

MATRIX_MAYBE_UNUSED static const char* const matrix_macros[] = {MATRIX_ENTRY_MACRO, NULL};

#if defined(MATRIX_NO_ENTRY)
VITRINE_EXPORT const vitrine_plugin_entry vitrine_entry_v0 =
    VITRINE_ENTRY_INIT(MATRIX_ENTRY_ID, MATRIX_VERSION, matrix_macros, matrix_create);
#elif defined(MATRIX_SMALL_STRUCT)
VITRINE_EXPORT const vitrine_plugin_entry vitrine_entry = {
    8,
    {MATRIX_ABI_MAJOR, MATRIX_ABI_MINOR, 0, 0},
    MATRIX_ENTRY_ID,
    MATRIX_VERSION,
    matrix_macros,
    matrix_create};
#elif defined(MATRIX_TRUNCATED)
/* Claims a full v1 entry but the exported object holds only its first two
 * fields: a loader that trusted struct_size would read past the symbol. */
struct truncated_entry {
  uint32_t struct_size;
  vitrine_version abi;
};
VITRINE_EXPORT const struct truncated_entry vitrine_entry = {
    sizeof(vitrine_plugin_entry), {MATRIX_ABI_MAJOR, MATRIX_ABI_MINOR, 0, 0}};
#else
VITRINE_EXPORT const vitrine_plugin_entry vitrine_entry = {
    sizeof(vitrine_plugin_entry),
    {MATRIX_ABI_MAJOR, MATRIX_ABI_MINOR, 0, 0},
    MATRIX_ENTRY_ID,
    MATRIX_VERSION,
    matrix_macros,
    matrix_create};
#endif
