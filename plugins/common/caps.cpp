#include "vitrine_plugin/caps.h"

namespace vitrine::pc {
namespace {

template <typename T>
const T* table(const vitrine_host* host, const char* id) {
  if (host == nullptr || host->get_capability == nullptr) return nullptr;
  const auto* t = static_cast<const T*>(host->get_capability(host, id));
  // A table smaller than the v1 layout would make us read past its end.
  if (t != nullptr && t->struct_size < sizeof(T)) return nullptr;
  return t;
}

}  // namespace

Caps::Caps(const vitrine_host* host)
    : http_(table<vitrine_http_v1>(host, VITRINE_CAP_HTTP_V1)),
      cache_(table<vitrine_cache_v1>(host, VITRINE_CAP_CACHE_V1)),
      assets_(table<vitrine_assets_v1>(host, VITRINE_CAP_ASSETS_V1)),
      log_(table<vitrine_log_v1>(host, VITRINE_CAP_LOG_V1)),
      license_(table<vitrine_license_v1>(host, VITRINE_CAP_LICENSE_V1)) {}

HttpResult Caps::get(vitrine_call* call, const std::string& url,
                     const std::vector<std::pair<std::string, std::string>>& headers) const {
  HttpResult out;
  if (http_ == nullptr || http_->get == nullptr) {
    out.status = VITRINE_E_UNAVAILABLE;
    out.reason = "this host does not offer the HTTP capability (vitrine.http/1)";
    return out;
  }
  std::vector<vitrine_http_header> hs;
  hs.reserve(headers.size());
  for (const auto& [n, v] : headers) hs.push_back({to_vstr(n), to_vstr(v)});
  vitrine_http_request req{};
  req.struct_size = sizeof(req);
  req.url = to_vstr(url);
  req.headers = hs.empty() ? nullptr : hs.data();
  req.header_count = hs.size();
  req.timeout_ms = 0;
  vitrine_http_response resp{};
  resp.struct_size = sizeof(resp);
  out.status = http_->get(call, &req, &resp);
  out.http_status = resp.http_status;
  out.body = from_vstr(resp.body);
  out.content_type = from_vstr(resp.content_type);
  out.final_url = from_vstr(resp.final_url);
  out.rule = from_vstr(resp.rule);
  out.reason = from_vstr(resp.reason);
  return out;
}

std::optional<CacheHit> Caps::cache_get(vitrine_call* call, std::string_view key) const {
  if (cache_ == nullptr || cache_->get == nullptr) return std::nullopt;
  vitrine_cache_entry e{};
  e.struct_size = sizeof(e);
  if (cache_->get(call, to_vstr(key), &e) != VITRINE_OK) return std::nullopt;
  return CacheHit{from_vstr(e.value), e.stored_at_ms, e.is_stale != 0};
}

bool Caps::cache_put(vitrine_call* call, std::string_view key, std::string_view value,
                     uint32_t ttl_s) const {
  if (cache_ == nullptr || cache_->put == nullptr) return false;
  return cache_->put(call, to_vstr(key), to_vstr(value), ttl_s) == VITRINE_OK;
}

std::optional<std::string> Caps::asset_put(vitrine_call* call, std::string_view content_type,
                                           std::string_view data, std::string& reason) const {
  if (assets_ == nullptr || assets_->put == nullptr) {
    reason = "this host does not offer asset storage (vitrine.assets/1)";
    return std::nullopt;
  }
  vitrine_asset_ref ref{};
  ref.struct_size = sizeof(ref);
  const vitrine_status st = assets_->put(call, to_vstr(content_type), to_vstr(data), &ref);
  if (st != VITRINE_OK) {
    reason = from_vstr(ref.reason);
    if (reason.empty()) reason = "asset storage failed with status " + std::to_string(st);
    return std::nullopt;
  }
  return from_vstr(ref.url);
}

void Caps::log(vitrine_call* call, vitrine_log_level level, std::string_view message) const {
  if (log_ != nullptr && log_->log != nullptr) log_->log(call, level, to_vstr(message));
}

std::optional<bool> Caps::licensed(vitrine_call* call, std::string_view feature) const {
  if (license_ == nullptr || license_->is_licensed == nullptr) return std::nullopt;
  int32_t yes = 0;
  if (license_->is_licensed(call, to_vstr(feature), &yes) != VITRINE_OK) return std::nullopt;
  return yes == 1;
}

}  // namespace vitrine::pc
