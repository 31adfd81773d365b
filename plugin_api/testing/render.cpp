// One render through the mock host: builds the vitrine_render_request from
// what the test set, gives the plugin host-limited sinks, and checks what
// came back against the ABI so a contract break shows up in a unit test.
#include <algorithm>
#include <exception>

#include "mock_state.h"

namespace {

constexpr size_t kMaxHtmlBytes = 4u << 20;  // as host/plugins/invoke.h
constexpr size_t kMaxErrorBytes = 4096;

// A host-owned sink that keeps at most `limit` bytes and then says
// VITRINE_E_TOO_LARGE, as the host's does.
struct BoundedSink {
  vitrine_sink sink{sizeof(vitrine_sink), this, &BoundedSink::write};
  std::string* text;
  size_t limit;
  BoundedSink(std::string* t, size_t l) : text(t), limit(l) {}
  static vitrine_status write(vitrine_sink* s, const char* data, size_t len) {
    if (s == nullptr) return VITRINE_E_INVALID;
    auto* self = static_cast<BoundedSink*>(s->host_data);
    if (data == nullptr && len != 0) return VITRINE_E_INVALID;
    const size_t room = self->limit - std::min(self->text->size(), self->limit);
    try {
      self->text->append(data == nullptr ? "" : data, std::min(len, room));
    } catch (...) {
      return VITRINE_E_INTERNAL;
    }
    return len > room ? VITRINE_E_TOO_LARGE : VITRINE_OK;
  }
};

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

vitrine_status render(vitrine_mock_host& h, const std::string& macro, vitrine_mock_result& out) {
  using vitrine::mock::view;
  h.html.clear();
  h.error.clear();
  h.violations.clear();
  h.keep.clear();
  auto refuse = [&](std::string why) {
    h.error = std::move(why);
    return VITRINE_E_INVALID;
  };
  if (h.plugin == nullptr) {
    return refuse("no plugin is loaded; call vitrine_mock_host_load() first");
  }
  if (std::find(h.macro_keys.begin(), h.macro_keys.end(), macro) == h.macro_keys.end()) {
    std::string keys;
    for (const auto& k : h.macro_keys) keys += (keys.empty() ? "" : ", ") + k;
    return refuse("plugin " + h.plugin_id + " has no macro '" + macro + "'; its macros are [" +
                  keys + "]");
  }

  vitrine_render_request req{};
  req.struct_size = sizeof req;
  req.macro_key = view(macro);
  std::vector<std::vector<vitrine_str>> items(h.params.size());
  std::vector<vitrine_param> params;
  params.reserve(h.params.size());
  for (size_t i = 0; i < h.params.size(); ++i) {
    const auto& p = h.params[i];
    for (const auto& item : p.items) items[i].push_back(view(item));
    vitrine_param v{};
    v.name = view(p.name);
    v.type = p.type;
    v.is_default = p.is_default;
    v.text_value = view(p.text);
    v.int_value = p.int_value;
    v.items = items[i].empty() ? nullptr : items[i].data();
    v.item_count = items[i].size();
    params.push_back(v);
  }
  req.params = params.empty() ? nullptr : params.data();
  req.param_count = params.size();
  req.space_key = view(h.space);
  req.page_id = view(h.page);
  req.locale = view(h.locale);
  req.timezone = view(h.timezone);
  req.theme = view(h.theme);
  req.time_from = view(h.time_from);
  req.time_to = view(h.time_to);
  req.grafana_base_url = view(h.base_url);
  req.now_ms = h.fixed_now_ms != 0 ? h.fixed_now_ms : wall_ms();
  req.time_from_ms = h.time_from_ms;
  req.time_to_ms = h.time_to_ms;
  if (req.time_from_ms == 0)
    vitrine::mock::resolve_relative(h.time_from, req.now_ms, req.time_from_ms);
  if (req.time_to_ms == 0) vitrine::mock::resolve_relative(h.time_to, req.now_ms, req.time_to_ms);
  req.deadline_ms = req.now_ms + h.deadline_ms;

  BoundedSink html(&h.html, kMaxHtmlBytes);
  BoundedSink error(&h.error, kMaxErrorBytes);
  vitrine_render_result result{};
  result.struct_size = sizeof result;
  result.html = &html.sink;
  result.error = &error.sink;

  vitrine_call* call = nullptr;
  {
    std::lock_guard<std::mutex> lock(h.mu);
    call = &h.calls.emplace_back();
  }
  const auto start = std::chrono::steady_clock::now();
  call->host = &h;
  call->now_ms = req.now_ms;
  call->deadline = start + std::chrono::milliseconds(h.deadline_ms);
  call->active.store(true);
  const vitrine_status st = h.plugin->render(h.plugin, call, &req, &result);
  call->active.store(false);
  const auto end = std::chrono::steady_clock::now();

  out.status = st;
  out.cache_ttl_s = result.cache_ttl_s;
  out.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(end - start).count();
  out.deadline_exceeded = end > call->deadline ? 1 : 0;
  auto violation = [&](const std::string& v) {
    h.violations += (h.violations.empty() ? "" : "; ") + v;
  };
  {
    // Calls through a handle kept from an earlier render, since the last
    // report.
    std::lock_guard<std::mutex> lock(h.mu);
    for (const auto& late : h.late_calls) violation(late);
    h.late_calls.clear();
  }
  if (st < VITRINE_OK || st >= VITRINE_STATUS_COUNT) {
    violation("render() returned " + std::to_string(st) +
              ", a status outside the ABI-5 set; the host reports it as VITRINE_E_INTERNAL");
  } else if (st != VITRINE_OK && h.error.empty()) {
    violation(std::string("render() failed with ") + vitrine_mock_status_name(st) +
              " but wrote no reason to result->error; every failure has one (ABI-5)");
  }
  if (out.deadline_exceeded != 0) {
    violation("render() returned after the " + std::to_string(h.deadline_ms) +
              " ms deadline; the host would have abandoned it");
  }
  return st;
}

}  // namespace

extern "C" vitrine_status vitrine_mock_host_render(vitrine_mock_host* host, const char* macro_key,
                                                   vitrine_mock_result* out) {
  if (host == nullptr || out == nullptr || out->struct_size < sizeof(vitrine_mock_result)) {
    return VITRINE_E_INVALID;
  }
  out->cache_ttl_s = 0;
  out->elapsed_ms = 0;
  out->deadline_exceeded = 0;
  vitrine_status st = VITRINE_E_INTERNAL;
  try {
    st = render(*host, macro_key == nullptr ? std::string() : std::string(macro_key), *out);
  } catch (const std::exception& e) {
    host->error = std::string("the mock host failed: ") + e.what();
  } catch (...) {
    host->error = "the mock host failed";
  }
  out->status = st;
  out->html = vitrine::mock::view(host->html);
  out->error = vitrine::mock::view(host->error);
  out->violations = vitrine::mock::view(host->violations);
  return st;
}
