// The capabilities a validation run offers the plugin: HTTP through the
// host's real egress path (policy, pinned TLS, the space's token attached by
// the host) to the simulator, an always-empty cache, assets that are
// accepted but not stored, every feature licensed. Each capability call is
// recorded under the render's page id, so the checks see exactly what the
// plugin asked of the host.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "egress/client/fetcher.h"
#include "plugins/call_services.h"
#include "validate/checks.h"

namespace vitrine::validate {

struct SpaceSetup {
  std::string grafana_origin;               // https://HOST[:PORT]
  std::string token;                        // the simulator's
  std::string ca_file;                      // the simulator's CA
  egress::client::ResolveOverride resolve;  // HOST -> 127.0.0.1:simulator port
  std::string asset_prefix;                 // URLs asset_put answers start with this
};

class CaptureServices final : public plugins::CallServices {
 public:
  // nullptr and `error` when the egress configuration is refused.
  static std::unique_ptr<CaptureServices> create(const SpaceSetup& setup, std::string& error);
  ~CaptureServices() override;

  // The requests made under `page_id` since the last take, and forgets them.
  std::vector<Request> take(const std::string& page_id);
  // Non-HTTP scopes some capability call used (storage:cache, storage:assets).
  std::set<std::string> storage_scopes_used() const;

  vitrine_status http_get(vitrine_call* call, const vitrine_http_request* request,
                          vitrine_http_response* response) override;
  vitrine_status cache_get(vitrine_call* call, vitrine_str key, vitrine_cache_entry* out) override;
  vitrine_status cache_put(vitrine_call* call, vitrine_str key, vitrine_str value,
                           uint32_t ttl_s) override;
  vitrine_status asset_put(vitrine_call* call, vitrine_str content_type, vitrine_str data,
                           vitrine_asset_ref* out) override;
  void log(vitrine_call* call, vitrine_log_level level, vitrine_str message) override;
  vitrine_status is_licensed(vitrine_call* call, vitrine_str feature, int32_t* licensed) override;

 private:
  CaptureServices() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrine::validate
