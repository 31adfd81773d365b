/*
 * A probe plugin for the mock host's own tests: each "op" parameter value
 * exercises one capability or one way to break the ABI and writes what it
 * saw as text, so a test can check what the mock handed the plugin.
 * PROBE_ABI_MINOR builds it for a newer ABI than the headers' (refused).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <vitrine/capabilities.h>
#include <vitrine/plugin.h>

#ifndef PROBE_ABI_MINOR
#define PROBE_ABI_MINOR VITRINE_ABI_MINOR
#endif

static const vitrine_host* g_host;
static vitrine_call* g_kept_call; /* kept on purpose by op=keep_call (an ABI-6 break) */

static const void* cap(const char* id) { return g_host->get_capability(g_host, id); }

static void put(vitrine_sink* s, const char* text) { vitrine_sink_puts(s, text); }
static void put_str(vitrine_sink* s, vitrine_str v) {
  if (v.len > 0) s->write(s, v.ptr, v.len);
}
static void put_int(vitrine_sink* s, long long v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", v);
  put(s, buf);
}

static const vitrine_param* param(const vitrine_render_request* req, const char* name) {
  for (size_t i = 0; i < req->param_count; ++i) {
    const vitrine_param* p = &req->params[i];
    if (p->name.len == strlen(name) && memcmp(p->name.ptr, name, p->name.len) == 0) return p;
  }
  return NULL;
}

static int op_is(const vitrine_render_request* req, const char* op) {
  const vitrine_param* p = param(req, "op");
  const char* v = p == NULL ? "echo" : NULL;
  if (v != NULL) return strcmp(v, op) == 0;
  return p->text_value.len == strlen(op) && memcmp(p->text_value.ptr, op, p->text_value.len) == 0;
}

static vitrine_str text_of(const vitrine_render_request* req, const char* name) {
  const vitrine_param* p = param(req, name);
  vitrine_str empty = {NULL, 0};
  return p == NULL ? empty : p->text_value;
}

static void echo(const vitrine_render_request* req, vitrine_sink* out) {
  put(out, "base=");
  put_str(out, req->grafana_base_url);
  put(out, " space=");
  put_str(out, req->space_key);
  put(out, " page=");
  put_str(out, req->page_id);
  put(out, " locale=");
  put_str(out, req->locale);
  put(out, " tz=");
  put_str(out, req->timezone);
  put(out, " theme=");
  put_str(out, req->theme);
  put(out, " from=");
  put_str(out, req->time_from);
  put(out, "@");
  put_int(out, req->time_from_ms);
  put(out, " to=");
  put_str(out, req->time_to);
  put(out, "@");
  put_int(out, req->time_to_ms);
  put(out, " now=");
  put_int(out, req->now_ms);
  put(out, " deadline+");
  put_int(out, req->deadline_ms - req->now_ms);
  for (size_t i = 0; i < req->param_count; ++i) {
    const vitrine_param* p = &req->params[i];
    put(out, "\n");
    put_str(out, p->name);
    put(out, ":type=");
    put_int(out, p->type);
    put(out, ",default=");
    put_int(out, p->is_default);
    put(out, ",text=");
    put_str(out, p->text_value);
    put(out, ",int=");
    put_int(out, p->int_value);
    put(out, ",items=");
    for (size_t k = 0; k < p->item_count; ++k) {
      if (k > 0) put(out, "|");
      put_str(out, p->items[k]);
    }
  }
}

static vitrine_status probe_render(const vitrine_plugin* self, vitrine_call* call,
                                   const vitrine_render_request* req, vitrine_render_result* res) {
  (void)self;
  vitrine_sink* out = res->html;
  if (op_is(req, "echo")) {
    echo(req, out);
  } else if (op_is(req, "get")) {
    const vitrine_http_v1* http = cap(VITRINE_CAP_HTTP_V1);
    if (http == NULL) {
      put(res->error, "no http capability");
      return VITRINE_E_UNAVAILABLE;
    }
    vitrine_http_header headers[1] = {{{"Accept", 6}, {"application/json", 16}}};
    vitrine_http_request r = {sizeof r, text_of(req, "url"), headers, 1, 1500};
    vitrine_http_response resp;
    memset(&resp, 0, sizeof resp);
    resp.struct_size = sizeof resp;
    vitrine_status st = http->get(call, &r, &resp);
    put(out, "status=");
    put_int(out, st);
    put(out, " http=");
    put_int(out, resp.http_status);
    put(out, " type=");
    put_str(out, resp.content_type);
    put(out, " final=");
    put_str(out, resp.final_url);
    put(out, " rule=");
    put_str(out, resp.rule);
    put(out, " reason=");
    put_str(out, resp.reason);
    put(out, " body=");
    put_str(out, resp.body);
  } else if (op_is(req, "cache")) {
    const vitrine_cache_v1* cache = cap(VITRINE_CAP_CACHE_V1);
    vitrine_cache_entry e;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    vitrine_status st = cache->get(call, text_of(req, "key"), &e);
    if (st == VITRINE_OK) {
      put(out, "hit=");
      put_str(out, e.value);
      put(out, " stale=");
      put_int(out, e.is_stale);
      put(out, " at=");
      put_int(out, e.stored_at_ms);
    } else {
      put(out, "miss status=");
      put_int(out, st);
      put(out, " reason=");
      put_str(out, e.reason);
    }
    vitrine_str value = text_of(req, "value");
    if (value.len > 0) {
      put(out, " put=");
      put_int(out, cache->put(call, text_of(req, "key"), value, 30));
    }
  } else if (op_is(req, "asset")) {
    const vitrine_assets_v1* assets = cap(VITRINE_CAP_ASSETS_V1);
    vitrine_asset_ref ref;
    memset(&ref, 0, sizeof ref);
    ref.struct_size = sizeof ref;
    vitrine_str type = text_of(req, "type");
    vitrine_str data = {"\x89PNG\r\n\x1a\nprobe", 13};
    vitrine_status st = assets->put(call, type, data, &ref);
    put(out, "status=");
    put_int(out, st);
    put(out, " url=");
    put_str(out, ref.url);
    put(out, " reason=");
    put_str(out, ref.reason);
  } else if (op_is(req, "license")) {
    const vitrine_license_v1* lic = cap(VITRINE_CAP_LICENSE_V1);
    int32_t yes = -1;
    vitrine_status st = lic->is_licensed(call, text_of(req, "feature"), &yes);
    put(out, "status=");
    put_int(out, st);
    put(out, " licensed=");
    put_int(out, yes);
  } else if (op_is(req, "log")) {
    const vitrine_log_v1* log = cap(VITRINE_CAP_LOG_V1);
    vitrine_str msg = {"probe says hello", 16};
    log->log(call, VITRINE_LOG_WARN, msg);
    put(out, "logged");
  } else if (op_is(req, "fail_silent")) {
    return VITRINE_E_UPSTREAM; /* no reason: an ABI-5 break */
  } else if (op_is(req, "bad_status")) {
    return 42;
  } else if (op_is(req, "keep_call")) {
    g_kept_call = call;
    put(out, "kept");
  } else if (op_is(req, "use_kept_call")) {
    const vitrine_log_v1* log = cap(VITRINE_CAP_LOG_V1);
    vitrine_str msg = {"too late", 8};
    if (g_kept_call != NULL) log->log(g_kept_call, VITRINE_LOG_INFO, msg);
    put(out, "used");
  } else if (op_is(req, "sleep")) {
    const vitrine_param* ms = param(req, "ms");
    struct timespec ts = {0, 0};
    if (ms != NULL) {
      ts.tv_sec = (time_t)(ms->int_value / 1000);
      ts.tv_nsec = (long)(ms->int_value % 1000) * 1000000L;
    }
    nanosleep(&ts, NULL);
    put(out, "slept");
  } else {
    put(res->error, "unknown op");
    return VITRINE_E_INVALID;
  }
  res->cache_ttl_s = 7;
  return VITRINE_OK;
}

static const vitrine_plugin kPlugin = {sizeof(vitrine_plugin), NULL, probe_render, NULL};

static vitrine_status probe_create(const vitrine_host* host, const vitrine_plugin** out,
                                   vitrine_sink* reason) {
  (void)reason;
  g_host = host;
  *out = &kPlugin;
  return VITRINE_OK;
}

static const char* const kKeys[] = {"probe", NULL};

VITRINE_EXPORT const vitrine_plugin_entry vitrine_entry = {
    sizeof(vitrine_plugin_entry),
    {VITRINE_ABI_MAJOR, PROBE_ABI_MINOR, VITRINE_ABI_PATCH, 0},
    "mock_probe",
    "1.0.0",
    kKeys,
    probe_create};
