/*
 * hello: the smallest complete Vitrine plugin, and the example that
 * docs/writing-a-plugin.md walks through. Pure C11, only <vitrine/...>: the
 * plugin API and the SDK's escaping (docs/sdk.md), linked by
 * vitrine_add_plugin().
 */
#include <string.h>
#include <vitrine/capabilities.h>
#include <vitrine/plugin.h>
#include <vitrine/sdk/escape.h>

static vitrine_status hello_render(const vitrine_plugin* self, vitrine_call* call,
                                   const vitrine_render_request* req, vitrine_render_result* res) {
  (void)call;
  const vitrine_log_v1* log = (const vitrine_log_v1*)self->plugin_data;
  /* The host has validated every parameter against manifests/hello.yml, so
   * "name" is a string of at most 64 bytes (its default applies if unset). */
  vitrine_str name = {"world", 5};
  for (size_t i = 0; i < req->param_count; ++i) {
    const vitrine_param* p = &req->params[i];
    if (p->name.len == 4 && memcmp(p->name.ptr, "name", 4) == 0) name = p->text_value;
  }
  if (log != NULL) {
    vitrine_str msg = {"rendering hello", 15};
    log->log(call, VITRINE_LOG_DEBUG, msg);
  }
  vitrine_sink_puts(res->html, "<p class=\"vitrine-hello\">Hello, ");
  /* The host sanitizes plugin HTML anyway (ABI-13); escaping here keeps the
   * output correct. */
  vsdk_html_escape_sink(res->html, name.ptr, name.len);
  vitrine_sink_puts(res->html, "!</p>");
  res->cache_ttl_s = 3600;
  return VITRINE_OK;
}

static vitrine_plugin hello_instance = {sizeof(vitrine_plugin), NULL, hello_render, NULL};

static vitrine_status hello_create(const vitrine_host* host, const vitrine_plugin** out,
                                   vitrine_sink* reason) {
  if (host->abi.major != VITRINE_ABI_MAJOR) {
    vitrine_sink_puts(reason, "host ABI major differs");
    return VITRINE_E_INVALID;
  }
  /* Capabilities are optional to use: ask, and cope with NULL (ABI-4). */
  hello_instance.plugin_data = (void*)host->get_capability(host, VITRINE_CAP_LOG_V1);
  *out = &hello_instance;
  return VITRINE_OK;
}

static const char* const hello_macros[] = {"hello", NULL};

VITRINE_EXPORT const vitrine_plugin_entry vitrine_entry =
    VITRINE_ENTRY_INIT("hello", "1.0.0", hello_macros, hello_create);
