/*
 * Vitrine capability tables, ABI version 1.
 *
 * A plugin asks the host for a table by its versioned id with
 * vitrine_host.get_capability(). A table with a given id is frozen forever:
 * a change is a new id ("vitrine.http/2"), never an edit (ABI-4). Every
 * function takes the render call's handle first; the host derives the space,
 * the calling plugin and the deadline from it (ABI-6). Every function is
 * [render-thread]: it may be called from any thread while the render() that
 * owns `call` is running, and never after it returned.
 */
#ifndef VITRINE_CAPABILITIES_H
#define VITRINE_CAPABILITIES_H

#include "vitrine/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ http/1 */
/* GET through the host's egress policy (docs/security/egress.md). The host
 * checks the URL against the calling plugin's own manifest egress and the
 * space's approved origins, checks the path against the plugin's scopes,
 * resolves and classifies addresses, attaches the space's Grafana token when
 * (and only when) the URL is the space's Grafana origin, and follows
 * redirects itself, re-checking every hop. */
#define VITRINE_CAP_HTTP_V1 "vitrine.http/1"

typedef struct vitrine_http_header {
  vitrine_str name;  /* borrowed */
  vitrine_str value; /* borrowed */
} vitrine_http_header;

typedef struct vitrine_http_request {
  uint32_t struct_size;
  vitrine_str url; /* absolute https URL; borrowed */
  const vitrine_http_header* headers; /* borrowed; only allowlisted names (egress rule header-*) */
  size_t header_count;
  uint32_t timeout_ms; /* 0 = until the render deadline; never extends it */
} vitrine_http_request;

typedef struct vitrine_http_response {
  uint32_t struct_size;
  int32_t http_status;    /* final status after redirects; 0 when no response */
  vitrine_str content_type; /* host-owned, valid until render() returns */
  vitrine_str body;         /* host-owned, decoded, valid until render() returns */
  vitrine_str final_url;    /* host-owned: the URL after redirects */
  vitrine_str rule;   /* on VITRINE_E_DENIED: the rule id, e.g. "egress-host-not-declared" */
  vitrine_str reason; /* on any failure: a human-readable reason; host-owned */
} vitrine_http_response;

typedef struct vitrine_http_v1 {
  uint32_t struct_size;
  /* Returns VITRINE_OK when an HTTP response arrived (any status; check
   * http_status), VITRINE_E_DENIED when policy refused it (no request was
   * sent), VITRINE_E_UNAVAILABLE, VITRINE_E_TIMEOUT, VITRINE_E_TOO_LARGE,
   * VITRINE_E_UPSTREAM, or VITRINE_E_INVALID for a malformed request struct.
   * A connection reset or closed before one byte of a response arrived is
   * VITRINE_E_UNAVAILABLE (rule egress-connection-reset: Grafana did not
   * answer); a response that began and was cut short is VITRINE_E_UPSTREAM
   * (egress-response-truncated). [render-thread] */
  vitrine_status (*get)(vitrine_call* call, const vitrine_http_request* request,
                        vitrine_http_response* response);
} vitrine_http_v1;

/* ----------------------------------------------------------- cache/1 */
/* A key/value cache scoped by the host to (space, plugin) of the call; a
 * plugin cannot name another space or plugin. Values are encrypted at rest. */
#define VITRINE_CAP_CACHE_V1 "vitrine.cache/1"

typedef struct vitrine_cache_entry {
  uint32_t struct_size;
  vitrine_str value; /* host-owned, valid until render() returns */
  int64_t stored_at_ms;
  int32_t is_stale; /* 1 when past its ttl but still kept */
  vitrine_str reason; /* on failure; host-owned */
} vitrine_cache_entry;

typedef struct vitrine_cache_v1 {
  uint32_t struct_size;
  /* VITRINE_OK, VITRINE_E_NOT_FOUND, VITRINE_E_INVALID. [render-thread] */
  vitrine_status (*get)(vitrine_call* call, vitrine_str key, vitrine_cache_entry* out);
  /* VITRINE_OK, VITRINE_E_INVALID, VITRINE_E_TOO_LARGE. key and value
   * borrowed; the host copies them. [render-thread] */
  vitrine_status (*put)(vitrine_call* call, vitrine_str key, vitrine_str value, uint32_t ttl_s);
} vitrine_cache_v1;

/* ---------------------------------------------------------- assets/1 */
/* Stores a binary (a PNG) for the call's space and returns a URL the page
 * can reference. Content-addressed: the same bytes give the same URL. */
#define VITRINE_CAP_ASSETS_V1 "vitrine.assets/1"

typedef struct vitrine_asset_ref {
  uint32_t struct_size;
  vitrine_str url;    /* host-owned, valid until render() returns */
  vitrine_str reason; /* on failure; host-owned */
} vitrine_asset_ref;

typedef struct vitrine_assets_v1 {
  uint32_t struct_size;
  /* content_type must be one of image/png, image/svg+xml, image/jpeg.
   * VITRINE_OK, VITRINE_E_INVALID, VITRINE_E_TOO_LARGE. [render-thread] */
  vitrine_status (*put)(vitrine_call* call, vitrine_str content_type, vitrine_str data,
                        vitrine_asset_ref* out);
} vitrine_assets_v1;

/* -------------------------------------------------------------- log/1 */
#define VITRINE_CAP_LOG_V1 "vitrine.log/1"

typedef int32_t vitrine_log_level;
#define VITRINE_LOG_DEBUG 0
#define VITRINE_LOG_INFO 1
#define VITRINE_LOG_WARN 2
#define VITRINE_LOG_ERROR 3

typedef struct vitrine_log_v1 {
  uint32_t struct_size;
  /* Writes one structured log line tagged with plugin, space and page.
   * message borrowed. [render-thread] */
  void (*log)(vitrine_call* call, vitrine_log_level level, vitrine_str message);
} vitrine_log_v1;

/* ---------------------------------------------------------- license/1 */
#define VITRINE_CAP_LICENSE_V1 "vitrine.license/1"

typedef struct vitrine_license_v1 {
  uint32_t struct_size;
  /* Sets *licensed to 1 when the feature is licensed for the call's space,
   * else 0. Every answer is audited. VITRINE_OK or VITRINE_E_INVALID.
   * [render-thread] */
  vitrine_status (*is_licensed)(vitrine_call* call, vitrine_str feature, int32_t* licensed);
} vitrine_license_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VITRINE_CAPABILITIES_H */
