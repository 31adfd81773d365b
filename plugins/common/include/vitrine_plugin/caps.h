// A C++ view of the capability tables a plugin may be offered (ABI-4). Each
// table is fetched once in create() and may be missing: every wrapper copes
// with a NULL table and reports it as an ordinary failure, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vitrine/capabilities.h"
#include "vitrine/plugin.h"

namespace vitrine::pc {

inline vitrine_str to_vstr(std::string_view s) { return vitrine_str{s.data(), s.size()}; }
inline std::string from_vstr(vitrine_str s) {
  return s.ptr == nullptr ? std::string() : std::string(s.ptr, s.len);
}

// The outcome of one GET: the capability status, and when a response
// arrived, its HTTP status, type and body (copied: host-owned strings are
// only valid until render() returns, ABI-8).
struct HttpResult {
  vitrine_status status = VITRINE_E_INTERNAL;
  int http_status = 0;
  std::string body;
  std::string content_type;
  std::string final_url;
  std::string rule;
  std::string reason;
};

struct CacheHit {
  std::string value;
  int64_t stored_at_ms = 0;
  bool stale = false;
};

class Caps {
 public:
  Caps() = default;
  explicit Caps(const vitrine_host* host);

  bool has_http() const { return http_ != nullptr; }
  bool has_cache() const { return cache_ != nullptr; }
  bool has_assets() const { return assets_ != nullptr; }
  bool has_license() const { return license_ != nullptr; }

  HttpResult get(vitrine_call* call, const std::string& url,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}) const;
  std::optional<CacheHit> cache_get(vitrine_call* call, std::string_view key) const;
  bool cache_put(vitrine_call* call, std::string_view key, std::string_view value,
                 uint32_t ttl_s) const;
  // Stores bytes as an asset; returns the URL, or nullopt with `reason` set.
  std::optional<std::string> asset_put(vitrine_call* call, std::string_view content_type,
                                       std::string_view data, std::string& reason) const;
  void log(vitrine_call* call, vitrine_log_level level, std::string_view message) const;
  // nullopt when the license capability is missing or failed: callers treat
  // that as "not licensed" (fail closed).
  std::optional<bool> licensed(vitrine_call* call, std::string_view feature) const;

 private:
  const vitrine_http_v1* http_ = nullptr;
  const vitrine_cache_v1* cache_ = nullptr;
  const vitrine_assets_v1* assets_ = nullptr;
  const vitrine_log_v1* log_ = nullptr;
  const vitrine_license_v1* license_ = nullptr;
};

}  // namespace vitrine::pc
