// The C entry points every bundled plugin shares: create() fetches the
// capability tables once, render() dispatches on the macro key inside the
// render boundary. A plugin supplies its id, version and macro table through
// VITRINE_PC_DEFINE_PLUGIN; nothing but `vitrine_entry` is exported (ABI-2).
#pragma once

#include <cstring>
#include <string_view>

#include "vitrine_plugin/render.h"

namespace vitrine::pc {

struct MacroDef {
  const char* key;
  Outcome (*fn)(Ctx&);
};

// Per-plugin state: written once by create() on the main thread before any
// render, then only read (ABI-16).
struct PluginState {
  Caps caps;
  const MacroDef* macros = nullptr;
  size_t macro_count = 0;
};

inline vitrine_status dispatch(const PluginState& st, vitrine_call* call,
                               const vitrine_render_request* req, vitrine_render_result* result) {
  const std::string_view key = req != nullptr && req->macro_key.ptr != nullptr
                                   ? std::string_view(req->macro_key.ptr, req->macro_key.len)
                                   : std::string_view();
  for (size_t i = 0; i < st.macro_count; ++i) {
    if (key == st.macros[i].key) {
      return run_render(st.caps, call, req, result, st.macros[i].fn);
    }
  }
  return write_error(result, VITRINE_E_NOT_FOUND,
                     "this plugin has no macro '" + std::string(key) + "'");
}

}  // namespace vitrine::pc

// Defines the instance, create() and the exported entry. MACROS is a
// static array of vitrine::pc::MacroDef; KEYS the NULL-terminated keys.
#define VITRINE_PC_DEFINE_PLUGIN(ID, VERSION, KEYS, MACROS)                                 \
  namespace {                                                                               \
  vitrine::pc::PluginState g_state;                                                         \
  vitrine_status pc_render(const vitrine_plugin*, vitrine_call* call,                       \
                           const vitrine_render_request* req, vitrine_render_result* res) { \
    try {                                                                                   \
      return vitrine::pc::dispatch(g_state, call, req, res);                                \
    } catch (...) {                                                                         \
      return VITRINE_E_INTERNAL;                                                            \
    }                                                                                       \
  }                                                                                         \
  const vitrine_plugin g_instance = {sizeof(vitrine_plugin), nullptr, pc_render, nullptr};  \
  vitrine_status pc_create(const vitrine_host* host, const vitrine_plugin** out,            \
                           vitrine_sink* reason) {                                          \
    try {                                                                                   \
      if (host == nullptr || out == nullptr) return VITRINE_E_INVALID;                      \
      if (host->abi.major != VITRINE_ABI_MAJOR) {                                           \
        vitrine::pc::write_reason(reason, "host ABI major differs from the plugin's");      \
        return VITRINE_E_INVALID;                                                           \
      }                                                                                     \
      g_state.caps = vitrine::pc::Caps(host);                                               \
      g_state.macros = MACROS;                                                              \
      g_state.macro_count = sizeof(MACROS) / sizeof((MACROS)[0]);                           \
      *out = &g_instance;                                                                   \
      return VITRINE_OK;                                                                    \
    } catch (...) {                                                                         \
      vitrine::pc::write_reason(reason, "plugin initialisation failed");                    \
      return VITRINE_E_INTERNAL;                                                            \
    }                                                                                       \
  }                                                                                         \
  }                                                                                         \
  extern "C" VITRINE_EXPORT const vitrine_plugin_entry vitrine_entry =                      \
      VITRINE_ENTRY_INIT(ID, VERSION, KEYS, pc_create);
