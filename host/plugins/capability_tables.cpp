// C trampolines from the capability tables to the call's CallServices.
// Everything a plugin passes is untrusted: struct sizes, pointers and string
// lengths are checked here, once, before any service sees them. Storage
// capabilities also need their scope in the calling plugin's manifest (P3):
// a plugin that did not ask for storage:cache gets VITRINE_E_DENIED.
#include "plugins/capability_tables.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>

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

template <typename Out>
void set_reason(vitrine_call* call, Out* out, const std::string& reason) {
  if (out != nullptr && out->struct_size >= offsetof(Out, reason) + sizeof(vitrine_str)) {
    out->reason = call->keep(reason);
  }
}

// Runs `f` unless the call is unusable; no exception crosses into plugin
// code (ABI-7).
template <typename F>
vitrine_status guarded(vitrine_call* call, F&& f) {
  if (call == nullptr) return VITRINE_E_INVALID;
  if (call->services == nullptr) return VITRINE_E_UNAVAILABLE;
  try {
    return f(*call->services);
  } catch (const std::exception&) {
    return VITRINE_E_INTERNAL;
  } catch (...) {
    return VITRINE_E_INTERNAL;
  }
}

vitrine_status http_get(vitrine_call* call, const vitrine_http_request* req,
                        vitrine_http_response* resp) {
  return guarded(call, [&](CallServices& s) { return s.http_get(call, req, resp); });
}

vitrine_status cache_get(vitrine_call* call, vitrine_str key, vitrine_cache_entry* out) {
  if (out == nullptr || out->struct_size < sizeof(vitrine_cache_entry)) return VITRINE_E_INVALID;
  if (!valid_str(key, kMaxKeyBytes) || key.len == 0) {
    set_reason(call, out, "cache key must be 1 to 512 bytes");
    return VITRINE_E_INVALID;
  }
  return guarded(call, [&](CallServices& s) {
    if (!has_scope(call, "storage:cache")) {
      set_reason(call, out, "plugin lacks scope storage:cache [scope-storage-cache]");
      return VITRINE_E_DENIED;
    }
    return s.cache_get(call, key, out);
  });
}

vitrine_status cache_put(vitrine_call* call, vitrine_str key, vitrine_str value, uint32_t ttl_s) {
  if (!valid_str(key, kMaxKeyBytes) || key.len == 0 || !valid_str(value, SIZE_MAX)) {
    return VITRINE_E_INVALID;
  }
  return guarded(call, [&](CallServices& s) {
    if (!has_scope(call, "storage:cache")) return VITRINE_E_DENIED;
    return s.cache_put(call, key, value, ttl_s);
  });
}

vitrine_status asset_put(vitrine_call* call, vitrine_str content_type, vitrine_str data,
                         vitrine_asset_ref* out) {
  if (out == nullptr || out->struct_size < sizeof(vitrine_asset_ref)) return VITRINE_E_INVALID;
  if (!valid_str(content_type, 64) || !valid_str(data, SIZE_MAX)) return VITRINE_E_INVALID;
  return guarded(call, [&](CallServices& s) {
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
    return VITRINE_E_INVALID;
  }
  *licensed = 0;
  return guarded(call, [&](CallServices& s) { return s.is_licensed(call, feature, licensed); });
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
