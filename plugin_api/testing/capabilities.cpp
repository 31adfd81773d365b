// The five v1 capability tables the mock host offers. They check what the
// plugin passes the way the host does (struct sizes, NULLs, key lengths), so
// a plugin that passes its unit tests does not fail on the first real call,
// and they answer from what the test configured, never from a network.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <thread>
#include <type_traits>

#include "mock_state.h"

namespace vitrine::mock {
namespace {

constexpr size_t kMaxKeyBytes = 512;
constexpr size_t kMaxLogBytes = 4096;
constexpr size_t kMaxCacheValueBytes = 1u << 20;
constexpr size_t kMaxAssetBytes = 8u << 20;

bool valid_str(vitrine_str s) { return s.ptr != nullptr || s.len == 0; }

template <typename Out>
void set_reason(vitrine_mock_host& h, Out* out, std::string reason) {
  if (out != nullptr && out->struct_size >= offsetof(Out, reason) + sizeof(vitrine_str)) {
    h.keep.push_back(std::move(reason));
    out->reason = view(h.keep.back());
  }
}

// Returns the host of a call that is inside its render(), or nullptr (and
// records the misuse) when the plugin kept the handle past render().
vitrine_mock_host* active_host(vitrine_call* call, const char* what) {
  if (call == nullptr || call->host == nullptr) return nullptr;
  if (!call->active.load()) {
    std::lock_guard<std::mutex> lock(call->host->mu);
    call->host->late_calls.push_back(std::string(what) +
                                     " was called after render() returned (ABI-6)");
    return nullptr;
  }
  return call->host;
}

int64_t remaining_ms(const vitrine_call* call) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(call->deadline -
                                                               std::chrono::steady_clock::now())
      .count();
}

const Answer* find_answer(const vitrine_mock_host& h, const std::string& url) {
  auto exact = h.answers.find({url, VITRINE_MOCK_MATCH_EXACT});
  if (exact != h.answers.end()) return &exact->second;
  const std::string base = url.substr(0, url.find('?'));
  auto any = h.answers.find({base, VITRINE_MOCK_MATCH_ANY_QUERY});
  if (any != h.answers.end()) return &any->second;
  const Answer* best = nullptr;
  size_t best_len = 0;
  for (const auto& [key, answer] : h.answers) {
    if (key.second != VITRINE_MOCK_MATCH_PREFIX || key.first.size() < best_len) continue;
    if (url.compare(0, key.first.size(), key.first) == 0) {
      best = &answer;
      best_len = key.first.size();
    }
  }
  return best;
}

vitrine_status http_get(vitrine_call* call, const vitrine_http_request* req,
                        vitrine_http_response* resp) {
  vitrine_mock_host* h = active_host(call, "vitrine.http/1 get()");
  if (h == nullptr) return VITRINE_E_INVALID;
  if (resp == nullptr || resp->struct_size < sizeof(vitrine_http_response)) {
    return VITRINE_E_INVALID;
  }
  std::unique_lock<std::mutex> lock(h->mu);
  auto fail = [&](vitrine_status st, std::string reason, std::string rule = {}) {
    resp->http_status = 0;
    if (!rule.empty()) {
      h->keep.push_back(std::move(rule));
      resp->rule = view(h->keep.back());
    }
    set_reason(*h, resp, std::move(reason));
    return st;
  };
  if (req == nullptr || req->struct_size < sizeof(vitrine_http_request) || !valid_str(req->url) ||
      req->url.len == 0 || (req->headers == nullptr && req->header_count != 0)) {
    return fail(VITRINE_E_INVALID,
                "the request is malformed: NULL, struct_size too small, an empty URL or headers "
                "missing; fill a vitrine_http_request with struct_size = sizeof(it)");
  }
  Request captured;
  captured.url = text(req->url);
  captured.timeout_ms = req->timeout_ms;
  for (size_t i = 0; i < req->header_count; ++i) {
    captured.headers.emplace_back(text(req->headers[i].name), text(req->headers[i].value));
  }
  h->requests.push_back(captured);
  const std::string& url = h->requests.back().url;
  if (remaining_ms(call) <= 0) {
    return fail(VITRINE_E_TIMEOUT,
                "the render deadline passed before the request to " + url + " was sent");
  }
  const Answer* found = find_answer(*h, url);
  if (found == nullptr) {
    return fail(VITRINE_E_DENIED,
                "the mock host has no answer for " + url +
                    "; add one with vitrine_mock_host_respond() or _answer() (C++: "
                    "MockHost::respond) before rendering [mock-no-answer]",
                "mock-no-answer");
  }
  const Answer answer = *found;  // the test thread cannot change it during render()
  if (answer.delay_ms > 0) {
    int64_t wait = answer.delay_ms;
    if (req->timeout_ms > 0) wait = std::min<int64_t>(wait, req->timeout_ms);
    wait = std::min<int64_t>(wait, std::max<int64_t>(remaining_ms(call), 0));
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    lock.lock();
    if (wait < answer.delay_ms) {
      return fail(VITRINE_E_TIMEOUT,
                  "no answer from " + url + " within " + std::to_string(wait) +
                      " ms (the mock answer is delayed " + std::to_string(answer.delay_ms) +
                      " ms; the request timeout or the render deadline came first)");
    }
  }
  if (answer.status != VITRINE_OK) {
    std::string reason = answer.reason;
    if (reason.empty()) {
      reason =
          std::string("failure injected by the test: ") + vitrine_mock_status_name(answer.status);
    }
    return fail(answer.status, std::move(reason),
                answer.status == VITRINE_E_DENIED
                    ? (answer.rule.empty() ? std::string("mock-denied") : answer.rule)
                    : std::string());
  }
  h->keep.push_back(answer.body);
  resp->body = view(h->keep.back());
  h->keep.push_back(answer.content_type);
  resp->content_type = view(h->keep.back());
  h->keep.push_back(answer.final_url.empty() ? url : answer.final_url);
  resp->final_url = view(h->keep.back());
  resp->http_status = answer.http_status;
  return VITRINE_OK;
}

vitrine_status cache_get(vitrine_call* call, vitrine_str key, vitrine_cache_entry* out) {
  vitrine_mock_host* h = active_host(call, "vitrine.cache/1 get()");
  if (h == nullptr) return VITRINE_E_INVALID;
  if (out == nullptr || out->struct_size < sizeof(vitrine_cache_entry)) return VITRINE_E_INVALID;
  std::lock_guard<std::mutex> lock(h->mu);
  if (!valid_str(key) || key.len == 0 || key.len > kMaxKeyBytes) {
    set_reason(*h, out, "cache key must be 1 to 512 bytes");
    return VITRINE_E_INVALID;
  }
  auto it = h->cache.find(text(key));
  if (it == h->cache.end()) {
    set_reason(*h, out, "no cache entry for this key");
    return VITRINE_E_NOT_FOUND;
  }
  h->keep.push_back(it->second.value);
  out->value = view(h->keep.back());
  out->stored_at_ms = it->second.stored_at_ms;
  out->is_stale = call->now_ms > it->second.stored_at_ms + int64_t{it->second.ttl_s} * 1000 ? 1 : 0;
  return VITRINE_OK;
}

vitrine_status cache_put(vitrine_call* call, vitrine_str key, vitrine_str value, uint32_t ttl_s) {
  vitrine_mock_host* h = active_host(call, "vitrine.cache/1 put()");
  if (h == nullptr) return VITRINE_E_INVALID;
  if (!valid_str(key) || key.len == 0 || key.len > kMaxKeyBytes || !valid_str(value)) {
    return VITRINE_E_INVALID;
  }
  if (value.len > kMaxCacheValueBytes) return VITRINE_E_TOO_LARGE;
  std::lock_guard<std::mutex> lock(h->mu);
  h->cache[text(key)] = CacheValue{text(value), ttl_s, call->now_ms};
  return VITRINE_OK;
}

const char* extension_of(std::string_view content_type) {
  if (content_type == "image/png") return "png";
  if (content_type == "image/svg+xml") return "svg";
  if (content_type == "image/jpeg") return "jpg";
  return nullptr;
}

vitrine_status asset_put(vitrine_call* call, vitrine_str content_type, vitrine_str data,
                         vitrine_asset_ref* out) {
  vitrine_mock_host* h = active_host(call, "vitrine.assets/1 put()");
  if (h == nullptr) return VITRINE_E_INVALID;
  if (out == nullptr || out->struct_size < sizeof(vitrine_asset_ref)) return VITRINE_E_INVALID;
  std::lock_guard<std::mutex> lock(h->mu);
  if (!valid_str(content_type) || !valid_str(data)) {
    set_reason(*h, out, "content_type or data is NULL with a non-zero length");
    return VITRINE_E_INVALID;
  }
  const std::string type = text(content_type);
  const char* ext = extension_of(type);
  if (ext == nullptr) {
    set_reason(*h, out,
               "asset content type '" + type +
                   "' is not allowed; use image/png, image/jpeg or image/svg+xml");
    return VITRINE_E_INVALID;
  }
  if (data.len == 0 || data.len > kMaxAssetBytes) {
    set_reason(*h, out,
               "asset is " + std::to_string(data.len) + " bytes; it must be 1 to " +
                   std::to_string(kMaxAssetBytes) + " bytes");
    return data.len == 0 ? VITRINE_E_INVALID : VITRINE_E_TOO_LARGE;
  }
  // FNV-1a over type and bytes: the same bytes give the same URL, as the
  // host's content addressing does.
  uint64_t hash = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) hash = (hash ^ c) * 1099511628211ull;
  };
  mix(type);
  mix(std::string_view(data.ptr, data.len));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  std::string url = std::string("/_vitrine/mock-assets/") + hex + "." + ext;
  h->assets[url] = Asset{type, text(data)};
  h->keep.push_back(std::move(url));
  out->url = view(h->keep.back());
  return VITRINE_OK;
}

void log_message(vitrine_call* call, vitrine_log_level level, vitrine_str message) {
  vitrine_mock_host* h = active_host(call, "vitrine.log/1 log()");
  if (h == nullptr || !valid_str(message)) return;
  if (level < VITRINE_LOG_DEBUG || level > VITRINE_LOG_ERROR) level = VITRINE_LOG_INFO;
  message.len = std::min(message.len, kMaxLogBytes);
  std::lock_guard<std::mutex> lock(h->mu);
  h->log.push_back(LogLine{level, text(message)});
}

vitrine_status is_licensed(vitrine_call* call, vitrine_str feature, int32_t* licensed) {
  vitrine_mock_host* h = active_host(call, "vitrine.license/1 is_licensed()");
  if (h == nullptr) return VITRINE_E_INVALID;
  if (licensed == nullptr || !valid_str(feature) || feature.len == 0 || feature.len > 128) {
    return VITRINE_E_INVALID;
  }
  std::lock_guard<std::mutex> lock(h->mu);
  const std::string name = text(feature);
  ++h->license_checks[name];
  auto it = h->features.find(name);
  *licensed = it != h->features.end() && it->second ? 1 : 0;
  return VITRINE_OK;
}

// No exception may cross into plugin code (ABI-7): std::string and the maps
// can throw bad_alloc.
template <auto F, typename... A>
auto guarded(A... a) noexcept {
  try {
    return F(a...);
  } catch (...) {
    if constexpr (!std::is_void_v<decltype(F(a...))>) return vitrine_status{VITRINE_E_INTERNAL};
  }
}

const vitrine_http_v1 kHttp{
    sizeof(vitrine_http_v1),
    &guarded<http_get, vitrine_call*, const vitrine_http_request*, vitrine_http_response*>};
const vitrine_cache_v1 kCache{
    sizeof(vitrine_cache_v1), &guarded<cache_get, vitrine_call*, vitrine_str, vitrine_cache_entry*>,
    &guarded<cache_put, vitrine_call*, vitrine_str, vitrine_str, uint32_t>};
const vitrine_assets_v1 kAssets{
    sizeof(vitrine_assets_v1),
    &guarded<asset_put, vitrine_call*, vitrine_str, vitrine_str, vitrine_asset_ref*>};
const vitrine_log_v1 kLog{sizeof(vitrine_log_v1),
                          &guarded<log_message, vitrine_call*, vitrine_log_level, vitrine_str>};
const vitrine_license_v1 kLicense{sizeof(vitrine_license_v1),
                                  &guarded<is_licensed, vitrine_call*, vitrine_str, int32_t*>};

const void* table_for(std::string_view id) {
  if (id == VITRINE_CAP_HTTP_V1) return &kHttp;
  if (id == VITRINE_CAP_CACHE_V1) return &kCache;
  if (id == VITRINE_CAP_ASSETS_V1) return &kAssets;
  if (id == VITRINE_CAP_LOG_V1) return &kLog;
  if (id == VITRINE_CAP_LICENSE_V1) return &kLicense;
  return nullptr;
}

}  // namespace

bool is_known_capability(std::string_view id) { return table_for(id) != nullptr; }

const void* get_capability(const vitrine_host* host, const char* id) {
  if (host == nullptr || id == nullptr) return nullptr;
  // HostTable is standard layout with the ABI struct first.
  const auto* table = reinterpret_cast<const HostTable*>(host);
  vitrine_mock_host* h = table->owner;
  std::lock_guard<std::mutex> lock(h->mu);
  auto it = h->offered.find(id);
  if (it != h->offered.end() && !it->second) return nullptr;
  return table_for(id);
}

}  // namespace vitrine::mock
