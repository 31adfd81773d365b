// The mock host's C API, except loading (load.cpp), parameters (params.cpp)
// and render (render.cpp): lifetime, canned answers, the render context the
// test sets, and reading back what the plugin did. Each function is a thin
// exception-free shell over mock_state.h.
#include <algorithm>
#include <cctype>
#include <new>

#include "mock_state.h"

namespace vitrine::mock {
vitrine_status load(vitrine_mock_host& h, const char* path);
}

using vitrine::mock::view;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

vitrine_status set_string(vitrine_mock_host* h, std::string vitrine_mock_host::*field,
                          const char* value) {
  if (h == nullptr || value == nullptr) return VITRINE_E_INVALID;
  h->*field = value;
  return VITRINE_OK;
}

// Runs f and turns an allocation failure into VITRINE_E_INTERNAL: no C++
// exception may reach a C caller.
template <typename F>
vitrine_status guarded(F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    return VITRINE_E_INTERNAL;
  }
}

}  // namespace

extern "C" {

vitrine_mock_host* vitrine_mock_host_create(void) {
  vitrine_mock_host* h = nullptr;
  try {
    h = new vitrine_mock_host();
  } catch (...) {
    return nullptr;
  }
  h->host_version = std::to_string(VITRINE_ABI_MAJOR) + "." + std::to_string(VITRINE_ABI_MINOR) +
                    "." + std::to_string(VITRINE_ABI_PATCH) + "-mock";
  h->table.table.struct_size = sizeof(vitrine_host);
  h->table.table.abi = {VITRINE_ABI_MAJOR, VITRINE_ABI_MINOR, VITRINE_ABI_PATCH, 0};
  h->table.table.host_name = "vitrine-mock-host";
  h->table.table.host_version = h->host_version.c_str();
  h->table.table.get_capability = &vitrine::mock::get_capability;
  h->table.owner = h;
  return h;
}

void vitrine_mock_host_destroy(vitrine_mock_host* host) {
  if (host == nullptr) return;
  if (host->plugin != nullptr && host->plugin->destroy != nullptr)
    host->plugin->destroy(host->plugin);
  delete host;
}

vitrine_status vitrine_mock_host_load(vitrine_mock_host* host, const char* library_path,
                                      const char** error) {
  if (error != nullptr) *error = "";
  if (host == nullptr || library_path == nullptr) return VITRINE_E_INVALID;
  const vitrine_status st = guarded([&] {
    if (host->plugin != nullptr) {
      host->load_error = "a plugin (" + host->plugin_id +
                         ") is already loaded in this mock host; create one host per plugin";
      return VITRINE_E_INVALID;
    }
    return vitrine::mock::load(*host, library_path);
  });
  if (st != VITRINE_OK && error != nullptr) *error = host->load_error.c_str();
  return st;
}

const char* vitrine_mock_host_plugin_id(const vitrine_mock_host* host) {
  return host == nullptr ? "" : host->plugin_id.c_str();
}

const char* vitrine_mock_host_plugin_version(const vitrine_mock_host* host) {
  return host == nullptr ? "" : host->plugin_version.c_str();
}

const char* vitrine_mock_status_name(vitrine_status status) {
  static const char* const kNames[VITRINE_STATUS_COUNT] = {
      "VITRINE_OK",          "VITRINE_E_INVALID",      "VITRINE_E_DENIED",
      "VITRINE_E_NOT_FOUND", "VITRINE_E_UNAVAILABLE",  "VITRINE_E_TIMEOUT",
      "VITRINE_E_TOO_LARGE", "VITRINE_E_NOT_LICENSED", "VITRINE_E_UPSTREAM",
      "VITRINE_E_INTERNAL"};
  if (status < 0 || status >= VITRINE_STATUS_COUNT) return "unknown status";
  return kNames[status];
}

// ------------------------------------------------------------- answers

vitrine_status vitrine_mock_host_answer(vitrine_mock_host* host, const char* url_pattern,
                                        const vitrine_mock_answer* answer) {
  if (host == nullptr || url_pattern == nullptr || *url_pattern == '\0' || answer == nullptr ||
      answer->struct_size < sizeof(vitrine_mock_answer) ||
      answer->match < VITRINE_MOCK_MATCH_EXACT || answer->match > VITRINE_MOCK_MATCH_PREFIX ||
      answer->status < VITRINE_OK || answer->status >= VITRINE_STATUS_COUNT) {
    return VITRINE_E_INVALID;
  }
  return guarded([&] {
    vitrine::mock::Answer a;
    a.match = answer->match;
    a.status = answer->status;
    a.http_status = answer->status == VITRINE_OK ? answer->http_status : 0;
    a.content_type = vitrine::mock::text(answer->content_type);
    a.body = vitrine::mock::text(answer->body);
    a.final_url = vitrine::mock::text(answer->final_url);
    a.rule = vitrine::mock::text(answer->rule);
    a.reason = vitrine::mock::text(answer->reason);
    a.delay_ms = answer->delay_ms;
    std::lock_guard<std::mutex> lock(host->mu);
    host->answers[{url_pattern, a.match}] = std::move(a);
    return VITRINE_OK;
  });
}

vitrine_status vitrine_mock_host_respond(vitrine_mock_host* host, const char* url,
                                         int32_t http_status, const char* content_type,
                                         const char* body) {
  vitrine_mock_answer a{};
  a.struct_size = sizeof a;
  a.match = VITRINE_MOCK_MATCH_EXACT;
  a.status = VITRINE_OK;
  a.http_status = http_status;
  const char* type = content_type != nullptr ? content_type : "application/json";
  a.content_type = vitrine_str{type, std::char_traits<char>::length(type)};
  if (body != nullptr) a.body = vitrine_str{body, std::char_traits<char>::length(body)};
  return vitrine_mock_host_answer(host, url, &a);
}

vitrine_status vitrine_mock_host_fail(vitrine_mock_host* host, const char* url,
                                      vitrine_status status, const char* rule, const char* reason) {
  if (status == VITRINE_OK) return VITRINE_E_INVALID;
  vitrine_mock_answer a{};
  a.struct_size = sizeof a;
  a.match = VITRINE_MOCK_MATCH_EXACT;
  a.status = status;
  if (rule != nullptr) a.rule = vitrine_str{rule, std::char_traits<char>::length(rule)};
  if (reason != nullptr) a.reason = vitrine_str{reason, std::char_traits<char>::length(reason)};
  return vitrine_mock_host_answer(host, url, &a);
}

void vitrine_mock_host_clear_answers(vitrine_mock_host* host) {
  if (host == nullptr) return;
  std::lock_guard<std::mutex> lock(host->mu);
  host->answers.clear();
}

// ------------------------------------------------------------ requests

size_t vitrine_mock_host_request_count(const vitrine_mock_host* host) {
  if (host == nullptr) return 0;
  std::lock_guard<std::mutex> lock(host->mu);
  return host->requests.size();
}

const char* vitrine_mock_host_request_url(const vitrine_mock_host* host, size_t index) {
  if (host == nullptr) return nullptr;
  std::lock_guard<std::mutex> lock(host->mu);
  return index < host->requests.size() ? host->requests[index].url.c_str() : nullptr;
}

size_t vitrine_mock_host_requests_to(const vitrine_mock_host* host, const char* url) {
  if (host == nullptr || url == nullptr) return 0;
  std::lock_guard<std::mutex> lock(host->mu);
  return static_cast<size_t>(std::count_if(host->requests.begin(), host->requests.end(),
                                           [&](const auto& r) { return r.url == url; }));
}

size_t vitrine_mock_host_request_header_count(const vitrine_mock_host* host, size_t index) {
  if (host == nullptr) return 0;
  std::lock_guard<std::mutex> lock(host->mu);
  return index < host->requests.size() ? host->requests[index].headers.size() : 0;
}

vitrine_status vitrine_mock_host_request_header_at(const vitrine_mock_host* host, size_t index,
                                                   size_t h, const char** name,
                                                   const char** value) {
  if (host == nullptr) return VITRINE_E_INVALID;
  std::lock_guard<std::mutex> lock(host->mu);
  if (index >= host->requests.size() || h >= host->requests[index].headers.size()) {
    return VITRINE_E_NOT_FOUND;
  }
  const auto& header = host->requests[index].headers[h];
  if (name != nullptr) *name = header.first.c_str();
  if (value != nullptr) *value = header.second.c_str();
  return VITRINE_OK;
}

const char* vitrine_mock_host_request_header(const vitrine_mock_host* host, size_t index,
                                             const char* name) {
  if (host == nullptr || name == nullptr) return nullptr;
  std::lock_guard<std::mutex> lock(host->mu);
  if (index >= host->requests.size()) return nullptr;
  for (const auto& [n, v] : host->requests[index].headers) {
    if (iequals(n, name)) return v.c_str();
  }
  return nullptr;
}

uint32_t vitrine_mock_host_request_timeout_ms(const vitrine_mock_host* host, size_t index) {
  if (host == nullptr) return 0;
  std::lock_guard<std::mutex> lock(host->mu);
  return index < host->requests.size() ? host->requests[index].timeout_ms : 0;
}

void vitrine_mock_host_clear_requests(vitrine_mock_host* host) {
  if (host == nullptr) return;
  std::lock_guard<std::mutex> lock(host->mu);
  host->requests.clear();
}

// ------------------------------------------------------- render context

vitrine_status vitrine_mock_host_set_grafana_base_url(vitrine_mock_host* host, const char* url) {
  return guarded([&] { return set_string(host, &vitrine_mock_host::base_url, url); });
}
vitrine_status vitrine_mock_host_set_space(vitrine_mock_host* host, const char* space_key) {
  return guarded([&] { return set_string(host, &vitrine_mock_host::space, space_key); });
}
vitrine_status vitrine_mock_host_set_page(vitrine_mock_host* host, const char* page_id) {
  return guarded([&] { return set_string(host, &vitrine_mock_host::page, page_id); });
}
vitrine_status vitrine_mock_host_set_locale(vitrine_mock_host* host, const char* locale) {
  return guarded([&] { return set_string(host, &vitrine_mock_host::locale, locale); });
}
vitrine_status vitrine_mock_host_set_timezone(vitrine_mock_host* host, const char* timezone) {
  return guarded([&] { return set_string(host, &vitrine_mock_host::timezone, timezone); });
}
vitrine_status vitrine_mock_host_set_theme(vitrine_mock_host* host, const char* theme) {
  return guarded([&] { return set_string(host, &vitrine_mock_host::theme, theme); });
}

vitrine_status vitrine_mock_host_set_time_range(vitrine_mock_host* host, const char* from,
                                                int64_t from_ms, const char* to, int64_t to_ms) {
  if (host == nullptr || from == nullptr || to == nullptr) return VITRINE_E_INVALID;
  int64_t probe = 0;
  if ((from_ms == 0 && !vitrine::mock::resolve_relative(from, 0, probe)) ||
      (to_ms == 0 && !vitrine::mock::resolve_relative(to, 0, probe))) {
    return VITRINE_E_INVALID;
  }
  return guarded([&] {
    host->time_from = from;
    host->time_to = to;
    host->time_from_ms = from_ms;
    host->time_to_ms = to_ms;
    return VITRINE_OK;
  });
}

void vitrine_mock_host_set_now(vitrine_mock_host* host, int64_t now_ms) {
  if (host != nullptr) host->fixed_now_ms = now_ms;
}

void vitrine_mock_host_set_deadline_ms(vitrine_mock_host* host, uint32_t deadline_ms) {
  if (host != nullptr) host->deadline_ms = deadline_ms == 0 ? 10000 : deadline_ms;
}

// --------------------------------------------------------- capabilities

vitrine_status vitrine_mock_host_offer(vitrine_mock_host* host, const char* capability_id,
                                       int offered) {
  if (host == nullptr || capability_id == nullptr) return VITRINE_E_INVALID;
  if (!vitrine::mock::is_known_capability(capability_id)) return VITRINE_E_NOT_FOUND;
  return guarded([&] {
    std::lock_guard<std::mutex> lock(host->mu);
    host->offered[capability_id] = offered != 0;
    return VITRINE_OK;
  });
}

vitrine_status vitrine_mock_host_license(vitrine_mock_host* host, const char* feature, int on) {
  if (host == nullptr || feature == nullptr || *feature == '\0') return VITRINE_E_INVALID;
  return guarded([&] {
    std::lock_guard<std::mutex> lock(host->mu);
    host->features[feature] = on != 0;
    return VITRINE_OK;
  });
}

size_t vitrine_mock_host_license_checks(const vitrine_mock_host* host, const char* feature) {
  if (host == nullptr || feature == nullptr) return 0;
  std::lock_guard<std::mutex> lock(host->mu);
  auto it = host->license_checks.find(feature);
  return it == host->license_checks.end() ? 0 : it->second;
}

vitrine_status vitrine_mock_host_cache_put(vitrine_mock_host* host, const char* key,
                                           const char* value, size_t value_len, uint32_t ttl_s,
                                           int64_t stored_at_ms) {
  if (host == nullptr || key == nullptr || *key == '\0' || (value == nullptr && value_len != 0)) {
    return VITRINE_E_INVALID;
  }
  return guarded([&] {
    std::lock_guard<std::mutex> lock(host->mu);
    const int64_t at = stored_at_ms != 0 ? stored_at_ms
                                         : std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count();
    host->cache[key] = vitrine::mock::CacheValue{
        value_len == 0 ? std::string() : std::string(value, value_len), ttl_s, at};
    return VITRINE_OK;
  });
}

vitrine_status vitrine_mock_host_cache_get(const vitrine_mock_host* host, const char* key,
                                           vitrine_str* value, uint32_t* ttl_s) {
  if (host == nullptr || key == nullptr) return VITRINE_E_INVALID;
  std::lock_guard<std::mutex> lock(host->mu);
  auto it = host->cache.find(key);
  if (it == host->cache.end()) return VITRINE_E_NOT_FOUND;
  if (value != nullptr) *value = view(it->second.value);
  if (ttl_s != nullptr) *ttl_s = it->second.ttl_s;
  return VITRINE_OK;
}

size_t vitrine_mock_host_cache_size(const vitrine_mock_host* host) {
  if (host == nullptr) return 0;
  std::lock_guard<std::mutex> lock(host->mu);
  return host->cache.size();
}

void vitrine_mock_host_cache_clear(vitrine_mock_host* host) {
  if (host == nullptr) return;
  std::lock_guard<std::mutex> lock(host->mu);
  host->cache.clear();
}

size_t vitrine_mock_host_asset_count(const vitrine_mock_host* host) {
  if (host == nullptr) return 0;
  std::lock_guard<std::mutex> lock(host->mu);
  return host->assets.size();
}

vitrine_status vitrine_mock_host_asset(const vitrine_mock_host* host, const char* url,
                                       vitrine_str* content_type, vitrine_str* data) {
  if (host == nullptr || url == nullptr) return VITRINE_E_INVALID;
  std::lock_guard<std::mutex> lock(host->mu);
  auto it = host->assets.find(url);
  if (it == host->assets.end()) return VITRINE_E_NOT_FOUND;
  if (content_type != nullptr) *content_type = view(it->second.content_type);
  if (data != nullptr) *data = view(it->second.data);
  return VITRINE_OK;
}

size_t vitrine_mock_host_log_count(const vitrine_mock_host* host) {
  if (host == nullptr) return 0;
  std::lock_guard<std::mutex> lock(host->mu);
  return host->log.size();
}

const char* vitrine_mock_host_log_line(const vitrine_mock_host* host, size_t index,
                                       vitrine_log_level* level) {
  if (host == nullptr) return nullptr;
  std::lock_guard<std::mutex> lock(host->mu);
  if (index >= host->log.size()) return nullptr;
  if (level != nullptr) *level = host->log[index].level;
  return host->log[index].text.c_str();
}

void vitrine_mock_host_clear_log(vitrine_mock_host* host) {
  if (host == nullptr) return;
  std::lock_guard<std::mutex> lock(host->mu);
  host->log.clear();
}

}  // extern "C"
