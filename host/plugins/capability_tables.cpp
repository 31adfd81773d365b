// C trampolines from the capability tables to the call's CallServices.
// Everything a plugin passes is untrusted: struct sizes, pointers and string
// lengths are checked here, once, before any service sees them. Storage
// capabilities also need their scope in the calling plugin's manifest (P3):
// a plugin that did not ask for storage:cache gets VITRINE_E_DENIED.
// Every failure carries a reason (ABI-5): in the output struct when the
// function has one, else in a log line tagged with the calling plugin (see
// logged()).
#include "plugins/capability_tables.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "log/log.h"
#include "plugins/call.h"
#include "plugins/call_services.h"
#include "plugins/loader.h"

namespace vitrine::plugins {
namespace {

constexpr size_t kMaxKeyBytes = 512;
constexpr size_t kMaxLogBytes = 4096;

bool valid_str(vitrine_str s, size_t max) {
  return (s.ptr != nullptr || s.len == 0) && s.len <= max;
}

bool has_scope(const vitrine_call* call, const char* scope) {
  if (call->plugin == nullptr) return false;
  const auto& scopes = call->plugin->manifest.scopes;
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

// Host-owned text for a reason: kept with the call when there is one, else a
// literal (literals live as long as the process).
vitrine_str host_owned(vitrine_call* call, const char* text) {
  if (call != nullptr) {
    try {
      return call->keep(text);
    } catch (...) {
    }
  }
  return vitrine_str{text, std::char_traits<char>::length(text)};
}

template <typename Out>
bool can_hold_reason(const Out* out) {
  return out != nullptr && out->struct_size >= offsetof(Out, reason) + sizeof(vitrine_str);
}

// `reason` is a literal: without a call it is handed out as is.
template <typename Out>
void set_reason(vitrine_call* call, Out* out, const char* reason) {
  if (can_hold_reason(out)) out->reason = host_owned(call, reason);
}

// The reason a failure gets when the service that answered gave none, so no
// failure reaches a plugin without one (ABI-5). Worded by status.
const char* default_reason(vitrine_status status) {
  switch (status) {
    case VITRINE_E_INVALID:
      return "a bad argument: a NULL pointer, a struct_size smaller than this ABI's struct, or a "
             "malformed value; check the call against vitrine/capabilities.h";
    case VITRINE_E_DENIED:
      return "the host's policy refused the call";
    case VITRINE_E_NOT_FOUND:
      return "no cache entry for this key (never stored, or expired and dropped)";
    case VITRINE_E_UNAVAILABLE:
      return "this capability is not available here; retry later";
    case VITRINE_E_TIMEOUT:
      return "the deadline passed before the host could answer";
    case VITRINE_E_TOO_LARGE:
      return "a size limit was exceeded";
    case VITRINE_E_NOT_LICENSED:
      return "the feature is not licensed for this space";
    case VITRINE_E_UPSTREAM:
      return "the upstream server answered, but not usably";
    default:
      return "internal error in the host; see the host log";
  }
}

// Fills the reason of a failure whose service left it empty.
template <typename Out>
vitrine_status with_reason(vitrine_call* call, Out* out, vitrine_status status) {
  if (status != VITRINE_OK && can_hold_reason(out) && out->reason.len == 0) {
    out->reason = host_owned(call, default_reason(status));
  }
  return status;
}

// For functions without an output struct (cache.put, license.is_licensed)
// the reason of a failure is written as a warning through the call's log
// service: the host log line every plugin log line is (plugin.log, tagged
// with plugin, space and page), from a worker too. `reason` is null when the
// services answered the failure; services that relay to another process's
// (a worker's) have had it logged there already. Without services: the
// host's own log (plugin.capability_failed).
vitrine_status logged(vitrine_call* call, const char* function, vitrine_status status,
                      const char* reason = nullptr) {
  if (status == VITRINE_OK) return status;
  try {
    const char* why = reason != nullptr ? reason : default_reason(status);
    if (call != nullptr && call->services != nullptr) {
      if (reason == nullptr && call->services->relays()) return status;
      const std::string text =
          std::string(function) + " failed with status " + std::to_string(status) + ": " + why;
      call->services->log(call, VITRINE_LOG_WARN, vitrine_str{text.data(), text.size()});
      return status;
    }
    const bool known = call != nullptr && call->plugin != nullptr;
    log::warn("plugin.capability_failed",
              {{"plugin", known ? call->plugin->manifest.id : std::string()},
               {"space", call != nullptr ? call->space_key : std::string()},
               {"function", function},
               {"status", std::to_string(status)},
               {"reason", why}});
  } catch (...) {
    // A log line is never worth failing a call for.
  }
  return status;
}

// The request checks of docs/plugin-abi.md (ABI-3), made here so a worker
// answers a malformed request exactly as the host does, rule included.
vitrine_status invalid_request(vitrine_call* call, vitrine_http_response* resp,
                               const char* reason) {
  resp->rule = host_owned(call, "http-request-invalid");
  resp->reason = host_owned(call, reason);
  return VITRINE_E_INVALID;
}

constexpr const char* kNoServices =
    "this capability is not offered here: the plugin runs without a host (no store, no "
    "network), e.g. under `vitrine plugins render` without --config and --space";

// Runs `f` unless the call is unusable; no exception crosses into plugin
// code (ABI-7). `why` receives the reason of a failure decided here.
template <typename F>
vitrine_status guarded(vitrine_call* call, const char*& why, F&& f) {
  if (call == nullptr) {
    why = "the call handle is NULL; pass the vitrine_call* that render() received";
    return VITRINE_E_INVALID;
  }
  if (call->services == nullptr) {
    why = kNoServices;
    return VITRINE_E_UNAVAILABLE;
  }
  try {
    return f(*call->services);
  } catch (const std::exception&) {
    why = "internal error in the host while answering the call; see the host log";
    return VITRINE_E_INTERNAL;
  } catch (...) {
    why = "internal error in the host while answering the call; see the host log";
    return VITRINE_E_INTERNAL;
  }
}

template <typename Out, typename F>
vitrine_status guarded(vitrine_call* call, Out* out, F&& f) {
  const char* why = nullptr;
  const vitrine_status st = guarded(call, why, std::forward<F>(f));
  if (why != nullptr) set_reason(call, out, why);
  return with_reason(call, out, st);
}

vitrine_status http_get(vitrine_call* call, const vitrine_http_request* req,
                        vitrine_http_response* resp) {
  if (resp == nullptr || resp->struct_size < sizeof(vitrine_http_response)) {
    return VITRINE_E_INVALID;  // nowhere to put a reason: the struct is the error
  }
  if (req == nullptr || req->struct_size < sizeof(vitrine_http_request)) {
    return invalid_request(
        call, resp,
        "the request is NULL or its struct_size is smaller than "
        "vitrine_http_request v1; set struct_size = sizeof(vitrine_http_request)");
  }
  if (req->url.ptr == nullptr && req->url.len != 0) {
    return invalid_request(call, resp, "request.url has a NULL pointer with a non-zero length");
  }
  if (req->header_count > 0 && req->headers == nullptr) {
    return invalid_request(call, resp, "request.headers is NULL but header_count is not zero");
  }
  return guarded(call, resp, [&](CallServices& s) { return s.http_get(call, req, resp); });
}

vitrine_status cache_get(vitrine_call* call, vitrine_str key, vitrine_cache_entry* out) {
  if (out == nullptr || out->struct_size < sizeof(vitrine_cache_entry)) return VITRINE_E_INVALID;
  if (!valid_str(key, kMaxKeyBytes) || key.len == 0) {
    set_reason(call, out, "cache key must be 1 to 512 bytes");
    return VITRINE_E_INVALID;
  }
  return guarded(call, out, [&](CallServices& s) {
    if (!has_scope(call, "storage:cache")) {
      set_reason(call, out, "plugin lacks scope storage:cache [scope-storage-cache]");
      return VITRINE_E_DENIED;
    }
    return s.cache_get(call, key, out);
  });
}

vitrine_status cache_put(vitrine_call* call, vitrine_str key, vitrine_str value, uint32_t ttl_s) {
  if (!valid_str(key, kMaxKeyBytes) || key.len == 0 || !valid_str(value, SIZE_MAX)) {
    return logged(call, "vitrine.cache/1 put", VITRINE_E_INVALID,
                  "cache key must be 1 to 512 bytes and the value a valid string");
  }
  const char* why = nullptr;
  const vitrine_status st = guarded(call, why, [&](CallServices& s) {
    if (!has_scope(call, "storage:cache")) {
      why = "plugin lacks scope storage:cache [scope-storage-cache]";
      return VITRINE_E_DENIED;
    }
    return s.cache_put(call, key, value, ttl_s);
  });
  return logged(call, "vitrine.cache/1 put", st, why);
}

vitrine_status asset_put(vitrine_call* call, vitrine_str content_type, vitrine_str data,
                         vitrine_asset_ref* out) {
  if (out == nullptr || out->struct_size < sizeof(vitrine_asset_ref)) return VITRINE_E_INVALID;
  if (!valid_str(content_type, 64) || !valid_str(data, SIZE_MAX)) {
    set_reason(call, out, "content_type must be at most 64 bytes and data a valid string");
    return VITRINE_E_INVALID;
  }
  const std::string_view type(content_type.ptr == nullptr ? "" : content_type.ptr,
                              content_type.len);
  if (type != "image/png" && type != "image/svg+xml" && type != "image/jpeg") {
    set_reason(call, out,
               "content_type must be image/png, image/svg+xml or image/jpeg; other types are "
               "not stored");
    return VITRINE_E_INVALID;
  }
  return guarded(call, out, [&](CallServices& s) {
    if (!has_scope(call, "storage:assets")) {
      set_reason(call, out, "plugin lacks scope storage:assets [scope-storage-assets]");
      return VITRINE_E_DENIED;
    }
    return s.asset_put(call, content_type, data, out);
  });
}

void log_message(vitrine_call* call, vitrine_log_level level, vitrine_str message) {
  if (call == nullptr || call->services == nullptr || !valid_str(message, SIZE_MAX)) return;
  if (level < VITRINE_LOG_DEBUG || level > VITRINE_LOG_ERROR) level = VITRINE_LOG_INFO;
  message.len = std::min(message.len, kMaxLogBytes);
  try {
    call->services->log(call, level, message);
  } catch (...) {
    // A log line is never worth failing a render for.
  }
}

vitrine_status is_licensed(vitrine_call* call, vitrine_str feature, int32_t* licensed) {
  if (licensed == nullptr || !valid_str(feature, 128) || feature.len == 0) {
    return logged(call, "vitrine.license/1 is_licensed", VITRINE_E_INVALID,
                  "licensed must not be NULL and the feature name must be 1 to 128 bytes");
  }
  *licensed = 0;
  const char* why = nullptr;
  const vitrine_status st =
      guarded(call, why, [&](CallServices& s) { return s.is_licensed(call, feature, licensed); });
  return logged(call, "vitrine.license/1 is_licensed", st, why);
}

const vitrine_http_v1 kHttp{sizeof(vitrine_http_v1), &http_get};
const vitrine_cache_v1 kCache{sizeof(vitrine_cache_v1), &cache_get, &cache_put};
const vitrine_assets_v1 kAssets{sizeof(vitrine_assets_v1), &asset_put};
const vitrine_log_v1 kLog{sizeof(vitrine_log_v1), &log_message};
const vitrine_license_v1 kLicense{sizeof(vitrine_license_v1), &is_licensed};

}  // namespace

void offer_standard_capabilities(HostTable& host) {
  host.offer(VITRINE_CAP_HTTP_V1, &kHttp);
  host.offer(VITRINE_CAP_CACHE_V1, &kCache);
  host.offer(VITRINE_CAP_ASSETS_V1, &kAssets);
  host.offer(VITRINE_CAP_LOG_V1, &kLog);
  host.offer(VITRINE_CAP_LICENSE_V1, &kLicense);
}

}  // namespace vitrine::plugins
