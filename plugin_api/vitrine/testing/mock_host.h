/*
 * Vitrine mock host: drive a renderer plugin from a unit test, in-process,
 * without a Vitrine server or a Grafana.
 *
 * The mock loads the plugin's shared library the way the host does (dlopen,
 * vitrine_entry, ABI negotiation, create()), offers the five v1 capability
 * tables, and lets the test decide every answer: canned HTTP responses by
 * URL, failures with any capability status, cache contents, licensed
 * features, the render request's context and typed parameters. It records
 * what the plugin did (requests, log lines, stored assets and cache values)
 * so the test can check it. It never opens a network connection and does
 * not apply the host's egress policy or manifest checks: `vitrine plugins
 * validate` does that.
 *
 * Plain C11; link Vitrine::plugin_test (a static C++ library: a C project
 * must enable the CXX language so the C++ runtime is linked). The C++ layer
 * in vitrine/testing/mock_host.hpp wraps this API with RAII and std::string.
 *
 * Conventions, as in vitrine/capabilities.h:
 *   [test-thread]   call only from the test's thread, never while a
 *                   vitrine_mock_host_render() on the same host is running.
 *                   Different hosts are independent.
 *   mock-owned      memory owned by the mock host; valid until the next call
 *                   that changes the same data, or vitrine_mock_host_destroy().
 *   copied          the mock copies the caller's strings; the caller keeps
 *                   ownership of its pointers.
 * The capability tables the plugin receives follow vitrine/capabilities.h:
 * callable from any thread while render() runs, never after it returned.
 */
#ifndef VITRINE_TESTING_MOCK_HOST_H
#define VITRINE_TESTING_MOCK_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "vitrine/capabilities.h"
#include "vitrine/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vitrine_mock_host vitrine_mock_host;

/* ------------------------------------------------------------ lifetime */

/* A new mock host with no plugin loaded and the defaults below. Returns NULL
 * only when memory is exhausted. Destroy with vitrine_mock_host_destroy().
 * Defaults: grafana_base_url "https://mock.grafana.invalid" (a name that
 * never resolves), space "TEST", page "1", locale "en-GB", timezone "UTC",
 * theme "light", time range "now-6h" to "now", now = the wall clock at each
 * render, deadline 10000 ms, every capability offered, no license feature,
 * no HTTP answer. [test-thread] */
vitrine_mock_host* vitrine_mock_host_create(void);

/* Calls the plugin's destroy() and frees the host and everything it owns.
 * The library stays loaded (plugins are never unloaded, ABI-10). NULL is a
 * no-op. [test-thread] */
void vitrine_mock_host_destroy(vitrine_mock_host* host);

/* Loads a plugin library: dlopen, look up vitrine_entry, check the entry as
 * the host does (ABI-1 version, ABI-3 struct size, a create function, macro
 * keys) and call create() with the mock's host table. Returns VITRINE_OK,
 * VITRINE_E_NOT_FOUND (no such file or no vitrine_entry symbol),
 * VITRINE_E_DENIED (the entry is refused: e.g. built for a newer ABI),
 * VITRINE_E_INVALID (NULL argument or a plugin already loaded) or the
 * status create() returned. On failure *error (when error is not NULL) is
 * set to a mock-owned sentence that says what happened and what to do, with
 * the rule id in brackets, e.g. "[abi-minor-too-new]". [test-thread] */
vitrine_status vitrine_mock_host_load(vitrine_mock_host* host, const char* library_path,
                                      const char** error);

/* The loaded plugin's id and version from its entry; mock-owned, "" before a
 * successful load. [test-thread] */
const char* vitrine_mock_host_plugin_id(const vitrine_mock_host* host);
const char* vitrine_mock_host_plugin_version(const vitrine_mock_host* host);

/* "VITRINE_OK", "VITRINE_E_DENIED", ...; "unknown status" outside the set.
 * Static storage. [thread-safe] */
const char* vitrine_mock_status_name(vitrine_status status);

/* -------------------------------------------------------- HTTP answers */

/* How an answer's URL pattern matches a requested URL. When several answers
 * match, EXACT wins over ANY_QUERY, and ANY_QUERY over PREFIX; among
 * prefixes the longest wins. */
typedef int32_t vitrine_mock_match;
#define VITRINE_MOCK_MATCH_EXACT 0     /* the whole URL, query string included */
#define VITRINE_MOCK_MATCH_ANY_QUERY 1 /* the URL up to '?': any query, or none */
#define VITRINE_MOCK_MATCH_PREFIX 2    /* every URL that starts with the pattern */

/* One canned answer. Strings borrowed for the call; the mock copies them.
 * status VITRINE_OK means an HTTP response arrived (with http_status, any
 * value); any other status is returned by http->get() as a failure with
 * `reason` (and `rule` for VITRINE_E_DENIED, "mock-denied" when empty), and
 * http_status 0. An empty reason on a failure is replaced by one that
 * names the injected status, because every failure has a reason (ABI-5).
 * http/1 has no response headers: content_type and final_url are the only
 * response metadata. */
typedef struct vitrine_mock_answer {
  uint32_t struct_size; /* sizeof(vitrine_mock_answer) */
  vitrine_mock_match match;
  vitrine_status status;
  int32_t http_status;
  vitrine_str content_type;
  vitrine_str body;
  vitrine_str final_url; /* empty: the requested URL (no redirect) */
  vitrine_str rule;      /* for VITRINE_E_DENIED, e.g. "egress-host-not-declared" */
  vitrine_str reason;
  uint32_t delay_ms; /* wait this long before answering; the render deadline still applies */
} vitrine_mock_answer;

/* Adds or replaces (same pattern and match) a canned answer. VITRINE_OK, or
 * VITRINE_E_INVALID for a NULL or empty pattern, a NULL answer, a
 * struct_size smaller than this header's, an unknown match or a status
 * outside the ABI-5 set. [test-thread] */
vitrine_status vitrine_mock_host_answer(vitrine_mock_host* host, const char* url_pattern,
                                        const vitrine_mock_answer* answer);

/* Shorthand: an HTTP response for exactly `url`. body is NUL-terminated;
 * content_type NULL means "application/json". [test-thread] */
vitrine_status vitrine_mock_host_respond(vitrine_mock_host* host, const char* url,
                                         int32_t http_status, const char* content_type,
                                         const char* body);

/* Shorthand: http->get() of exactly `url` fails with `status` (not
 * VITRINE_OK), `reason` and, for VITRINE_E_DENIED, `rule` (NULL allowed).
 * [test-thread] */
vitrine_status vitrine_mock_host_fail(vitrine_mock_host* host, const char* url,
                                      vitrine_status status, const char* rule, const char* reason);

/* Removes every canned answer. [test-thread] */
void vitrine_mock_host_clear_answers(vitrine_mock_host* host);

/* A request whose URL matches no answer fails with VITRINE_E_DENIED, rule
 * "mock-no-answer", and a reason that names the URL and says how to add an
 * answer: a test never reaches a network by accident. */

/* --------------------------------------------------- captured requests */

/* Every http->get() since the host was created or the requests were
 * cleared, in call order, answered or not. Counts and indexes are
 * [test-thread]; strings are mock-owned, valid until the requests are
 * cleared or the host destroyed. */
size_t vitrine_mock_host_request_count(const vitrine_mock_host* host);
/* The URL of request `index`; NULL when index is out of range. */
const char* vitrine_mock_host_request_url(const vitrine_mock_host* host, size_t index);
/* How many requests asked for exactly `url`. */
size_t vitrine_mock_host_requests_to(const vitrine_mock_host* host, const char* url);
/* The headers the plugin sent with request `index`. */
size_t vitrine_mock_host_request_header_count(const vitrine_mock_host* host, size_t index);
/* Header `h` of request `index`: name and value (NUL-terminated, mock-owned).
 * VITRINE_OK or VITRINE_E_NOT_FOUND when either index is out of range. */
vitrine_status vitrine_mock_host_request_header_at(const vitrine_mock_host* host, size_t index,
                                                   size_t h, const char** name, const char** value);
/* The value of header `name` (case-insensitive) on request `index`; NULL
 * when absent. */
const char* vitrine_mock_host_request_header(const vitrine_mock_host* host, size_t index,
                                             const char* name);
/* The timeout_ms the plugin asked for on request `index` (0: until the
 * deadline). */
uint32_t vitrine_mock_host_request_timeout_ms(const vitrine_mock_host* host, size_t index);
void vitrine_mock_host_clear_requests(vitrine_mock_host* host);

/* ------------------------------------------------ the render request */

/* Each setter copies its strings and returns VITRINE_OK, or
 * VITRINE_E_INVALID for a NULL string. [test-thread] */
vitrine_status vitrine_mock_host_set_grafana_base_url(vitrine_mock_host* host, const char* url);
vitrine_status vitrine_mock_host_set_space(vitrine_mock_host* host, const char* space_key);
vitrine_status vitrine_mock_host_set_page(vitrine_mock_host* host, const char* page_id);
vitrine_status vitrine_mock_host_set_locale(vitrine_mock_host* host, const char* locale);
vitrine_status vitrine_mock_host_set_timezone(vitrine_mock_host* host, const char* timezone);
vitrine_status vitrine_mock_host_set_theme(vitrine_mock_host* host, const char* theme);
/* The time range as written and resolved. from_ms/to_ms 0 with text "now"
 * or "now-<n><unit>" (unit s, m, h, d or w) resolves against now_ms at each
 * render, as the host does; other text needs explicit milliseconds
 * (VITRINE_E_INVALID otherwise). */
vitrine_status vitrine_mock_host_set_time_range(vitrine_mock_host* host, const char* from,
                                                int64_t from_ms, const char* to, int64_t to_ms);
/* now_ms of every following render (unix ms); 0 goes back to the wall
 * clock. */
void vitrine_mock_host_set_now(vitrine_mock_host* host, int64_t now_ms);
/* The render deadline: the request says deadline_ms = now_ms + deadline_ms;
 * the mock measures it on a monotonic clock. An http->get() after it, or a
 * canned delay past it, fails with VITRINE_E_TIMEOUT. 0 restores 10000. */
void vitrine_mock_host_set_deadline_ms(vitrine_mock_host* host, uint32_t deadline_ms);

/* ---------------------------------------------------------- parameters */

/* Typed parameters for the following renders, as the host would bind them
 * from the manifest (plugin.h, ABI-12). The mock does not know the manifest:
 * it passes what the test sets, in order, and does not apply defaults. A
 * parameter set again replaces the earlier one. Strings are copied.
 * VITRINE_OK, or VITRINE_E_INVALID for a NULL or empty name, a NULL value,
 * a duration that does not parse. [test-thread] */
vitrine_status vitrine_mock_host_param_string(vitrine_mock_host* host, const char* name,
                                              const char* value);
vitrine_status vitrine_mock_host_param_integer(vitrine_mock_host* host, const char* name,
                                               int64_t value);
vitrine_status vitrine_mock_host_param_boolean(vitrine_mock_host* host, const char* name,
                                               int value);
vitrine_status vitrine_mock_host_param_enum(vitrine_mock_host* host, const char* name,
                                            const char* value);
vitrine_status vitrine_mock_host_param_enum_list(vitrine_mock_host* host, const char* name,
                                                 const char* const* items, size_t item_count);
/* text as written: "<n><unit>" with unit ms, s, m, h, d or w ("5m"); the
 * plugin receives the milliseconds in int_value and the text. */
vitrine_status vitrine_mock_host_param_duration(vitrine_mock_host* host, const char* name,
                                                const char* text);
/* text as written ("now-7d" or RFC 3339) and its resolved unix ms. */
vitrine_status vitrine_mock_host_param_time(vitrine_mock_host* host, const char* name,
                                            const char* text, int64_t unix_ms);
vitrine_status vitrine_mock_host_param_uid(vitrine_mock_host* host, const char* name,
                                           const char* uid);
/* Marks an already set parameter as the manifest default (is_default = 1).
 * VITRINE_E_NOT_FOUND when it is not set. */
vitrine_status vitrine_mock_host_param_mark_default(vitrine_mock_host* host, const char* name);
void vitrine_mock_host_clear_params(vitrine_mock_host* host);

/* ------------------------------------------------------- capabilities */

/* Offer (1) or withhold (0) a capability by id (VITRINE_CAP_HTTP_V1, ...),
 * to test a plugin on a host without it. Takes effect for get_capability()
 * calls made after it; a plugin that keeps tables from create() should be
 * loaded after the change. VITRINE_OK or VITRINE_E_NOT_FOUND for an id the
 * mock does not implement. [test-thread] */
vitrine_status vitrine_mock_host_offer(vitrine_mock_host* host, const char* capability_id,
                                       int offered);

/* license/1: switch a feature on (1) or off (0) for the space. Every
 * is_licensed() answer is counted. [test-thread] */
vitrine_status vitrine_mock_host_license(vitrine_mock_host* host, const char* feature, int on);
size_t vitrine_mock_host_license_checks(const vitrine_mock_host* host, const char* feature);

/* cache/1 is an in-memory map scoped to this host. A value past its ttl is
 * kept and returned with is_stale = 1, as the host does. Keys are 1 to 512
 * bytes; values up to 1 MiB (VITRINE_E_TOO_LARGE above). */
/* Seeds an entry as if stored at stored_at_ms (0: now). [test-thread] */
vitrine_status vitrine_mock_host_cache_put(vitrine_mock_host* host, const char* key,
                                           const char* value, size_t value_len, uint32_t ttl_s,
                                           int64_t stored_at_ms);
/* Reads an entry: VITRINE_OK with *value (mock-owned, valid until the entry
 * changes) and *ttl_s when not NULL, or VITRINE_E_NOT_FOUND. [test-thread] */
vitrine_status vitrine_mock_host_cache_get(const vitrine_mock_host* host, const char* key,
                                           vitrine_str* value, uint32_t* ttl_s);
size_t vitrine_mock_host_cache_size(const vitrine_mock_host* host);
void vitrine_mock_host_cache_clear(vitrine_mock_host* host);

/* assets/1 accepts image/png, image/svg+xml and image/jpeg up to 8 MiB and
 * returns a content-addressed URL "/_vitrine/mock-assets/<hash>.<ext>" (the
 * real host's URL differs; do not assert its form). The bytes are kept. */
size_t vitrine_mock_host_asset_count(const vitrine_mock_host* host);
/* The stored asset for a URL the plugin received: VITRINE_OK with
 * mock-owned *content_type and *data, or VITRINE_E_NOT_FOUND. [test-thread] */
vitrine_status vitrine_mock_host_asset(const vitrine_mock_host* host, const char* url,
                                       vitrine_str* content_type, vitrine_str* data);

/* log/1 lines, in order, truncated to 4096 bytes as the host does. level may
 * be NULL. Returns NULL when index is out of range. mock-owned.
 * [test-thread] */
size_t vitrine_mock_host_log_count(const vitrine_mock_host* host);
const char* vitrine_mock_host_log_line(const vitrine_mock_host* host, size_t index,
                                       vitrine_log_level* level);
void vitrine_mock_host_clear_log(vitrine_mock_host* host);

/* -------------------------------------------------------------- render */

/* The outcome of one render. Strings mock-owned, valid until the next
 * render or vitrine_mock_host_destroy(). */
typedef struct vitrine_mock_result {
  uint32_t struct_size;  /* set by the caller: sizeof(vitrine_mock_result) */
  vitrine_status status; /* what render() returned */
  vitrine_str html;      /* the HTML sink, as written (not sanitized), NUL-terminated */
  vitrine_str error;     /* the error sink, NUL-terminated */
  uint32_t cache_ttl_s;
  int64_t elapsed_ms;        /* wall time render() took */
  int32_t deadline_exceeded; /* 1 when render() returned after the deadline */
  /* What the plugin did against the ABI, "" when nothing: a status outside
   * the set, a failure with no reason (ABI-5), a capability called after
   * render() returned (ABI-6). Sentences separated by "; ". */
  vitrine_str violations;
} vitrine_mock_result;

/* Renders `macro_key` with the parameters and context set above, sinks
 * limited like the host's (HTML 4 MiB, error 4096 bytes). Returns the
 * status render() returned, also in out->status; VITRINE_E_INVALID (with
 * out->error saying why) when no plugin is loaded, the macro is not one of
 * the plugin's, or out is NULL or too small. [test-thread] */
vitrine_status vitrine_mock_host_render(vitrine_mock_host* host, const char* macro_key,
                                        vitrine_mock_result* out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VITRINE_TESTING_MOCK_HOST_H */
