// Calls one plugin's render() for one macro: binds the typed parameters,
// builds the request and the host-owned sinks, and returns what the plugin
// wrote. This is the single place the host crosses into plugin code for
// rendering.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "plugins/call_services.h"
#include "plugins/loader.h"

namespace vitrine::plugins {

struct RenderInput {
  std::string macro_key;
  std::map<std::string, std::string> params;
  std::string space_key;
  std::string page_id;
  std::string locale = "en-US";
  std::string timezone = "UTC";
  std::string theme = "light";
  std::string time_from = "now-6h";
  std::string time_to = "now";
  std::string grafana_base_url;
  int64_t timeout_ms = 10'000;
  int64_t now_ms = 0;                // 0 = the system clock; tests pin it for golden output
  int64_t upstream_from_ms = 0;      // vitrine_call::upstream_from_ms
  CallServices* services = nullptr;  // capabilities; nullptr = none
  const void* host_context = nullptr;
};

struct RenderOutput {
  vitrine_status status = VITRINE_E_INTERNAL;
  std::string html;
  std::string error;  // the plugin's reason, or the host's (parameter errors)
  std::string rule;   // set when the host refused before calling the plugin
  uint32_t cache_ttl_s = 0;
  bool html_truncated = false;
};

// Limits on what a plugin may write, so one macro cannot exhaust memory.
inline constexpr size_t kMaxHtmlBytes = 4u << 20;
inline constexpr size_t kMaxErrorBytes = 4096;

RenderOutput render_macro(const LoadedPlugin& plugin, const RenderInput& input);

// A short human name for a status code ("denied", "timeout", ...).
const char* status_name(vitrine_status status);

}  // namespace vitrine::plugins
