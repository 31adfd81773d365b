// The running host: one object that owns the store, the plugins and where
// they run, the egress fetcher, the license gate and the metrics, and that
// answers plugins' capability calls (it is their CallServices). The server,
// the static exporter and tests build one Runtime and hand it to the render
// Engine; nothing else wires modules together.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "egress/client/fetcher.h"
#include "license/gate.h"
#include "manifest/manifest.h"
#include "metrics/metrics.h"
#include "plugins/call_services.h"
#include "plugins/host_table.h"
#include "plugins/refusal.h"
#include "plugins/runner.h"
#include "runtime/space_states.h"
#include "store/store.h"

namespace vitrine::runtime {

// A macro key resolved to the plugin that provides it.
struct MacroTarget {
  const manifest::Manifest* plugin = nullptr;
  const manifest::Macro* macro = nullptr;
};

struct PluginStatus {
  manifest::Manifest manifest;
  bool running = false;  // loaded and may run (approved)
  std::string state;     // "running", "refused", "awaiting-approval"
  std::string detail;    // refusal or pending diff
};

class Runtime final : public plugins::CallServices {
 public:
  // Opens everything the config names; on failure returns nullptr and a
  // message that says what to fix. `runner_override` replaces the runner the
  // config selects (tests).
  static std::unique_ptr<Runtime> open(const config::Config& config, std::string& error,
                                       std::unique_ptr<plugins::PluginRunner> runner_override = {});
  ~Runtime() override;

  const config::Config& config() const { return config_; }
  store::Store& store() { return *store_; }
  metrics::Registry& metrics() { return metrics_; }
  license::LicenseGate& license() { return gate_; }
  plugins::PluginRunner& runner() { return *runner_; }
  const std::vector<PluginStatus>& plugins() const { return plugins_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  // nullopt when no running plugin provides `macro_key`.
  std::optional<MacroTarget> find_macro(const std::string& macro_key) const;
  // Is the plugin enabled in the space (space admin's choice)?
  bool enabled_in(const std::string& space, const std::string& plugin_id);
  // The space's enabled plugins and Grafana origins, from a snapshot kept
  // until this process writes to the store or one second passes
  // (space_states.h). [thread-safe] Never null.
  std::shared_ptr<const SpaceState> space_state(const std::string& space);

  // Tests the space's Grafana connection through the http capability path
  // (GET /api/health with the space's token), as the space-settings UI does.
  store::ConnectionTestResult test_connection(const std::string& who, const std::string& space);

  // plugins::CallServices
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
  Runtime() = default;
  struct Impl;
  config::Config config_;
  std::unique_ptr<store::Store> store_;
  metrics::Registry metrics_;
  license::LicenseGate gate_;
  plugins::HostTable host_;
  std::unique_ptr<plugins::PluginRunner> runner_;
  std::vector<PluginStatus> plugins_;
  std::vector<std::string> warnings_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrine::runtime
