/*
 * A test plugin for the capability contracts (ABI-5): the `probe` macro calls
 * one capability in the way its `case` parameter names and writes
 * "status=N rule=R reason=T" so a test can assert what came back, in-process
 * and through a worker alike. It always returns VITRINE_OK so that the report
 * itself reaches the test.
 *
 * Cases: http (GET `url`, `timeout_ms`), http-null-request,
 * http-small-request, cache-get, cache-get-empty-key, cache-put-empty-key,
 * cache-put, asset-bad-type, asset-put, license-empty, license; and crash,
 * which abort()s (a crash no sanitizer turns into a plain exit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vitrine/capabilities.h>
#include <vitrine/plugin.h>

static const vitrine_host* g_host;

static int str_is(vitrine_str s, const char* text) {
  size_t n = strlen(text);
  return s.len == n && (n == 0 || memcmp(s.ptr, text, n) == 0);
}

static const vitrine_param* find_param(const vitrine_render_request* req, const char* name) {
  for (size_t i = 0; i < req->param_count; ++i) {
    if (str_is(req->params[i].name, name)) return &req->params[i];
  }
  return NULL;
}

static vitrine_str text_param(const vitrine_render_request* req, const char* name) {
  const vitrine_param* p = find_param(req, name);
  vitrine_str empty = {"", 0};
  return p != NULL ? p->text_value : empty;
}

static void report(vitrine_render_result* res, vitrine_status st, vitrine_str rule,
                   vitrine_str reason) {
  char head[32];
  int n = snprintf(head, sizeof head, "status=%d rule=", (int)st);
  res->html->write(res->html, head, (size_t)n);
  res->html->write(res->html, rule.ptr, rule.len);
  vitrine_sink_puts(res->html, " reason=");
  res->html->write(res->html, reason.ptr, reason.len);
}

static const void* cap(const char* id) { return g_host->get_capability(g_host, id); }

static vitrine_status probe_render(const vitrine_plugin* self, vitrine_call* call,
                                   const vitrine_render_request* req, vitrine_render_result* res) {
  (void)self;
  const vitrine_str which = text_param(req, "case");
  const vitrine_str none = {"", 0};
  if (str_is(which, "http") || str_is(which, "http-null-request") ||
      str_is(which, "http-small-request")) {
    const vitrine_http_v1* http = (const vitrine_http_v1*)cap(VITRINE_CAP_HTTP_V1);
    vitrine_http_request hr;
    memset(&hr, 0, sizeof hr);
    hr.struct_size = str_is(which, "http-small-request") ? 4 : sizeof hr;
    hr.url = text_param(req, "url");
    const vitrine_param* t = find_param(req, "timeout_ms");
    hr.timeout_ms = t != NULL ? (uint32_t)t->int_value : 0;
    vitrine_http_response resp;
    memset(&resp, 0, sizeof resp);
    resp.struct_size = sizeof resp;
    vitrine_status st = http->get(call, str_is(which, "http-null-request") ? NULL : &hr, &resp);
    report(res, st, resp.rule, resp.reason);
    return VITRINE_OK;
  }
  if (str_is(which, "cache-get") || str_is(which, "cache-get-empty-key")) {
    const vitrine_cache_v1* cache = (const vitrine_cache_v1*)cap(VITRINE_CAP_CACHE_V1);
    vitrine_cache_entry e;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    vitrine_str key = str_is(which, "cache-get") ? text_param(req, "url") : none;
    report(res, cache->get(call, key, &e), none, e.reason);
    return VITRINE_OK;
  }
  if (str_is(which, "cache-put") || str_is(which, "cache-put-empty-key")) {
    /* put has no output struct: its reason goes to the host log. */
    const vitrine_cache_v1* cache = (const vitrine_cache_v1*)cap(VITRINE_CAP_CACHE_V1);
    vitrine_str key = str_is(which, "cache-put") ? text_param(req, "url") : none;
    vitrine_str value = {"value", 5};
    report(res, cache->put(call, key, value, 60), none, none);
    return VITRINE_OK;
  }
  if (str_is(which, "asset-bad-type") || str_is(which, "asset-put")) {
    const vitrine_assets_v1* assets = (const vitrine_assets_v1*)cap(VITRINE_CAP_ASSETS_V1);
    vitrine_asset_ref ref;
    memset(&ref, 0, sizeof ref);
    ref.struct_size = sizeof ref;
    vitrine_str type =
        str_is(which, "asset-put") ? (vitrine_str){"image/png", 9} : (vitrine_str){"text/html", 9};
    vitrine_str data = {"\x89PNG", 4};
    report(res, assets->put(call, type, data, &ref), none, ref.reason);
    return VITRINE_OK;
  }
  if (str_is(which, "license-empty") || str_is(which, "license")) {
    const vitrine_license_v1* license = (const vitrine_license_v1*)cap(VITRINE_CAP_LICENSE_V1);
    int32_t licensed = 0;
    vitrine_str feature = str_is(which, "license") ? (vitrine_str){"feature", 7} : none;
    report(res, license->is_licensed(call, feature, &licensed), none, none);
    return VITRINE_OK;
  }
  if (str_is(which, "crash")) abort();
  vitrine_sink_puts(res->error, "unknown probe case");
  return VITRINE_E_INVALID;
}

static const vitrine_plugin probe_instance = {sizeof(vitrine_plugin), NULL, probe_render, NULL};

static vitrine_status probe_create(const vitrine_host* host, const vitrine_plugin** out,
                                   vitrine_sink* reason) {
  (void)reason;
  g_host = host;
  *out = &probe_instance;
  return VITRINE_OK;
}

static const char* const probe_macros[] = {"probe", NULL};

VITRINE_EXPORT const vitrine_plugin_entry vitrine_entry =
    VITRINE_ENTRY_INIT("cap_probe", "1.0.0", probe_macros, probe_create);
