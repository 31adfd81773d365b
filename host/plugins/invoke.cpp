#include "plugins/invoke.h"

#include <algorithm>
#include <chrono>

#include "plugins/call.h"
#include "plugins/params.h"

namespace vitrine::plugins {
namespace {

// A bounded, host-owned sink (ABI-9): the plugin copies bytes in, the host
// keeps them. Past the limit further bytes are dropped and the write reports
// VITRINE_E_TOO_LARGE.
struct BoundedSink {
  vitrine_sink sink{};
  std::string text;
  size_t limit;
  bool truncated = false;

  explicit BoundedSink(size_t max) : limit(max) {
    sink.struct_size = sizeof(vitrine_sink);
    sink.host_data = this;
    sink.write = &BoundedSink::write;
  }
  static vitrine_status write(vitrine_sink* s, const char* data, size_t len) {
    if (s == nullptr || s->host_data == nullptr || (data == nullptr && len != 0)) {
      return VITRINE_E_INVALID;
    }
    auto* self = static_cast<BoundedSink*>(s->host_data);
    size_t room = self->limit - self->text.size();
    self->text.append(data, std::min(room, len));
    if (len > room) {
      self->truncated = true;
      return VITRINE_E_TOO_LARGE;
    }
    return VITRINE_OK;
  }
};

vitrine_str view(const std::string& s) { return vitrine_str{s.data(), s.size()}; }

int64_t unix_ms_now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

const char* status_name(vitrine_status status) {
  static const char* const kNames[VITRINE_STATUS_COUNT] = {
      "ok",      "invalid",   "denied",       "not-found", "unavailable",
      "timeout", "too-large", "not-licensed", "upstream",  "internal"};
  return status >= 0 && status < VITRINE_STATUS_COUNT ? kNames[status] : "unknown-status";
}

RenderOutput render_macro(const LoadedPlugin& plugin, const RenderInput& in) {
  RenderOutput out;
  const manifest::Macro* macro = nullptr;
  for (const auto& m : plugin.manifest.macros) {
    if (m.key == in.macro_key) macro = &m;
  }
  if (macro == nullptr) {
    out.status = VITRINE_E_NOT_FOUND;
    out.rule = "macro-unknown";
    out.error = "plugin '" + plugin.manifest.id + "' has no macro '" + in.macro_key + "'";
    return out;
  }
  const int64_t now = in.now_ms != 0 ? in.now_ms : unix_ms_now();
  BoundParams params;
  if (auto err = bind_params(*macro, in.params, now, params)) {
    out.status = VITRINE_E_INVALID;
    out.rule = err->rule;
    out.error = err->message;
    return out;
  }
  auto from = parse_time_ms(in.time_from, now);
  auto to = parse_time_ms(in.time_to, now, Round::up);  // the end of a range rounds up
  if (!from || !to) {
    out.status = VITRINE_E_INVALID;
    out.rule = "time-range";
    out.error = "time range '" + in.time_from + "' to '" + in.time_to +
                "' is not valid; write e.g. now-6h to now";
    return out;
  }

  vitrine_call call;
  call.plugin = &plugin;
  call.space_key = in.space_key;
  call.page_id = in.page_id;
  call.grafana_base_url = in.grafana_base_url;
  // The deadline is always wall-clock: a pinned now_ms only changes what the
  // plugin is told the time is.
  call.deadline_ms = unix_ms_now() + in.timeout_ms;
  call.services = in.services;
  call.host_context = in.host_context;
  call.upstream_from_ms = in.upstream_from_ms;

  vitrine_render_request req{};
  req.struct_size = sizeof(req);
  req.macro_key = view(in.macro_key);
  req.params = params.params().data();
  req.param_count = params.params().size();
  req.space_key = view(in.space_key);
  req.page_id = view(in.page_id);
  req.locale = view(in.locale);
  req.timezone = view(in.timezone);
  req.theme = view(in.theme);
  req.time_from = view(in.time_from);
  req.time_to = view(in.time_to);
  req.time_from_ms = *from;
  req.time_to_ms = *to;
  req.grafana_base_url = view(in.grafana_base_url);
  req.now_ms = now;
  req.deadline_ms = call.deadline_ms;

  BoundedSink html(kMaxHtmlBytes);
  BoundedSink error(kMaxErrorBytes);
  vitrine_render_result result{};
  result.struct_size = sizeof(result);
  result.html = &html.sink;
  result.error = &error.sink;

  out.status = plugin.instance->render(plugin.instance, &call, &req, &result);
  out.html = std::move(html.text);
  out.html_truncated = html.truncated;
  out.error = std::move(error.text);
  out.cache_ttl_s = result.cache_ttl_s;
  if (out.status < 0 || out.status >= VITRINE_STATUS_COUNT) {
    // ABI-5: a status outside the closed set is the plugin's bug; never let
    // it pass as success.
    out.error = "plugin returned unknown status " + std::to_string(out.status);
    out.status = VITRINE_E_INTERNAL;
  }
  if (out.status != VITRINE_OK && out.error.empty()) {
    out.error =
        std::string("plugin failed with status ") + status_name(out.status) + " and gave no reason";
  }
  return out;
}

}  // namespace vitrine::plugins
