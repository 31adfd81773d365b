/*
 * A test plugin built in several versions from this one source, so the
 * lifecycle tests can install, approve, upgrade and roll back real
 * libraries. It renders which version answered, e.g. "versioned 1.1.0".
 * VERSIONED_VERSION and (for the impostor) VERSIONED_TEXT are set by CMake.
 */
#include <vitrine/capabilities.h>
#include <vitrine/plugin.h>

#ifndef VERSIONED_TEXT
#define VERSIONED_TEXT "versioned " VERSIONED_VERSION
#endif

static vitrine_status versioned_render(const vitrine_plugin* self, vitrine_call* call,
                                       const vitrine_render_request* req,
                                       vitrine_render_result* res) {
  (void)self;
  (void)call;
  (void)req;
  vitrine_sink_puts(res->html, "<p class=\"versioned\">" VERSIONED_TEXT "</p>");
  res->cache_ttl_s = 3600;
  return VITRINE_OK;
}

static vitrine_plugin versioned_instance = {sizeof(vitrine_plugin), NULL, versioned_render, NULL};

static vitrine_status versioned_create(const vitrine_host* host, const vitrine_plugin** out,
                                       vitrine_sink* reason) {
  if (host->abi.major != VITRINE_ABI_MAJOR) {
    vitrine_sink_puts(reason, "host ABI major differs");
    return VITRINE_E_INVALID;
  }
  *out = &versioned_instance;
  return VITRINE_OK;
}

static const char* const versioned_macros[] = {"versioned", NULL};

VITRINE_EXPORT const vitrine_plugin_entry vitrine_entry =
    VITRINE_ENTRY_INIT("versioned", VERSIONED_VERSION, versioned_macros, versioned_create);
