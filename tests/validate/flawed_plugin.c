/*
 * Deliberately flawed plugins for `vitrine plugins validate`
 * (tests/integration/plugin_validate_test.cpp). One source, one flaw per
 * build, selected by FLAW; each build has its own manifest (FLAW_ID.yml)
 * declaring what that flaw needs. A validation run must report each flaw.
 */
#include <signal.h>
#include <string.h>
#include <vitrine/capabilities.h>
#include <vitrine/plugin.h>

#define FLAW_CRASH 1      /* crashes when parameter mode=boom */
#define FLAW_HANG 2       /* never returns when parameter mode=spin */
#define FLAW_NO_REASON 3  /* fails without a reason */
#define FLAW_UNDECLARED 4 /* GETs a path no declared scope opens */
#define FLAW_UNUSED 5     /* declares a scope it never uses */
#define FLAW_SCRIPT 6     /* emits <script> */

static const vitrine_http_v1* http;

#if FLAW == FLAW_CRASH || FLAW == FLAW_HANG
static int param_is(const vitrine_render_request* req, const char* name, const char* value) {
  for (size_t i = 0; i < req->param_count; ++i) {
    const vitrine_param* p = &req->params[i];
    if (p->name.len == strlen(name) && memcmp(p->name.ptr, name, p->name.len) == 0) {
      return p->text_value.len == strlen(value) &&
             memcmp(p->text_value.ptr, value, p->text_value.len) == 0;
    }
  }
  return 0;
}
#endif

#if FLAW == FLAW_UNDECLARED || FLAW == FLAW_UNUSED
/* GETs grafana_base_url + path; the answer's status, or the failure. */
static vitrine_status fetch(vitrine_call* call, const vitrine_render_request* req, const char* path,
                            vitrine_render_result* res) {
  char url[512];
  size_t n = req->grafana_base_url.len;
  if (http == NULL || n + strlen(path) + 1 > sizeof url) {
    vitrine_sink_puts(res->error, "no http capability");
    return VITRINE_E_UNAVAILABLE;
  }
  memcpy(url, req->grafana_base_url.ptr, n);
  memcpy(url + n, path, strlen(path) + 1);
  vitrine_http_request hr;
  memset(&hr, 0, sizeof hr);
  hr.struct_size = sizeof hr;
  hr.url.ptr = url;
  hr.url.len = strlen(url);
  vitrine_http_response resp;
  memset(&resp, 0, sizeof resp);
  resp.struct_size = sizeof resp;
  vitrine_status st = http->get(call, &hr, &resp);
  if (st != VITRINE_OK) {
    res->error->write(res->error, resp.reason.ptr, resp.reason.len);
    return st;
  }
  return VITRINE_OK;
}
#endif

static vitrine_status flawed_render(const vitrine_plugin* self, vitrine_call* call,
                                    const vitrine_render_request* req, vitrine_render_result* res) {
  (void)self;
  vitrine_status st = VITRINE_OK;
#if FLAW == FLAW_CRASH
  if (param_is(req, "mode", "boom")) raise(SIGSEGV);
#elif FLAW == FLAW_HANG
  if (param_is(req, "mode", "spin")) {
    for (volatile unsigned long i = 0;; ++i) {
    }
  }
#elif FLAW == FLAW_NO_REASON
  (void)call;
  (void)req;
  return VITRINE_E_UPSTREAM;
#elif FLAW == FLAW_UNDECLARED
  st = fetch(call, req, "/api/annotations", res);
#elif FLAW == FLAW_UNUSED
  st = fetch(call, req, "/api/search?limit=1", res);
#elif FLAW == FLAW_SCRIPT
  vitrine_sink_puts(res->html, "<script>alert(1)</script>");
#endif
  (void)call;
  (void)req;
  if (st != VITRINE_OK) return st;
  vitrine_sink_puts(res->html, "<p>flawed</p>");
  return VITRINE_OK;
}

static vitrine_plugin flawed_instance = {sizeof(vitrine_plugin), NULL, flawed_render, NULL};

static vitrine_status flawed_create(const vitrine_host* host, const vitrine_plugin** out,
                                    vitrine_sink* reason) {
  (void)reason;
  http = (const vitrine_http_v1*)host->get_capability(host, VITRINE_CAP_HTTP_V1);
  *out = &flawed_instance;
  return VITRINE_OK;
}

static const char* const flawed_macros[] = {FLAW_MACRO, NULL};

VITRINE_EXPORT const vitrine_plugin_entry vitrine_entry =
    VITRINE_ENTRY_INIT(FLAW_ID, "1.0.0", flawed_macros, flawed_create);
