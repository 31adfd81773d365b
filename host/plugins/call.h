// The host side of the opaque vitrine_call handle (ABI-6). Capabilities
// receive it first and derive everything (space, plugin, deadline) from it,
// so a plugin has no way to name a space or another plugin.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

#include "vitrine/plugin.h"

namespace vitrine::plugins {
struct LoadedPlugin;
class CallServices;
}  // namespace vitrine::plugins

struct vitrine_call {
  const vitrine::plugins::LoadedPlugin* plugin = nullptr;
  std::string space_key;
  std::string page_id;
  std::string grafana_base_url;
  int64_t deadline_ms = 0;
  // Only upstream responses received after this time (unix ms)
  // answer this render's requests: set to when a refresh began, or to the
  // as-of time of the stale content a background refresh replaces; 0: any
  // response the single-flight may share (single_flight.h UF-9).
  int64_t upstream_from_ms = 0;
  // What the capabilities forward to; nullptr = none offered in this context.
  vitrine::plugins::CallServices* services = nullptr;
  // Opaque to this layer: the runtime's per-call state (the space's origins).
  const void* host_context = nullptr;

  // Host-owned strings handed back to the plugin (response bodies, reasons,
  // asset URLs). They live until the render call ends (ABI-8), then go with
  // the call. Capability calls may come from several plugin threads.
  vitrine_str keep(std::string s) {
    std::lock_guard lock(arena_mutex_);
    arena_.push_back(std::move(s));
    return vitrine_str{arena_.back().data(), arena_.back().size()};
  }

 private:
  std::mutex arena_mutex_;
  std::deque<std::string> arena_;
};
