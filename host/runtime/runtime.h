// The running host: one object that owns the store, the plugins and where
// they run, the egress fetcher, the license gate and the metrics, and that
// answers plugins' capability calls (it is their CallServices). The server,
// the static exporter and tests build one Runtime and hand it to the render
// Engine; nothing else wires modules together.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
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
#include "reconcile/reconciler.h"
#include "runtime/space_states.h"
#include "store/store.h"

namespace vitrine::runtime {

struct PluginSet;

// A macro key resolved to the plugin version that provides it. `set` keeps
// the plugin set it came from alive (and with it the pointers), so a render
// that started before a swap finishes on the version it began with.
struct MacroTarget {
  const manifest::Manifest* plugin = nullptr;
  const manifest::Macro* macro = nullptr;
  std::string instance;  // reconcile::instance_key: runner key and cache namespace
  std::shared_ptr<const PluginSet> set;
};

// One installed plugin artifact (or a manifest refused before install) and
// what this host does with it.
struct PluginStatus {
  manifest::Manifest manifest;
  bool running = false;  // this version serves its macros now
  // running | standby (approved, another version runs) | awaiting-approval |
  // refused
  std::string state;
  std::string rule;               // why not running (a rule id), empty when running
  std::string detail;             // refusal, or what awaits whom
  std::vector<std::string> diff;  // awaiting: permission changes against the running version
  std::string instance;
  store::ArtifactRow artifact;  // empty plugin_id: refused before install
};

// The plugins this host runs, swapped whole by the reconciler. Immutable.
struct PluginSet {
  uint64_t generation = 0;
  std::vector<PluginStatus> plugins;
  std::map<std::string, MacroTarget> macros;  // running version per macro key (set unset)
  // Macro keys of plugins with no running version: the rule and sentence
  // the error box shows (awaiting approval, refused, ...).
  std::map<std::string, std::pair<std::string, std::string>> blocked;
  std::set<std::string> macro_keys;  // running and blocked: what pages recognise as macros
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
  // Every installed version and its state, from the current plugin set.
  std::vector<PluginStatus> plugins() const;
  // [thread-safe] Never null.
  std::shared_ptr<const PluginSet> plugin_set() const;
  // Brings the running plugin versions to the desired state in the store
  // (reconcile/plugin_plan.h): starts newly approved versions beside the
  // running ones, then swaps the plugin set. Renders in flight finish on the
  // version they began with. Returns why it could not, or empty.
  // [thread-safe] Called at open and by the reconciler on every change.
  std::string apply_plugins();
  // (Re)loads the installed license into the gate; `vitrine license
  // install` bumps the change feed, so a running host applies a new license
  // within a second. Returns why a present license was refused, or empty.
  // [thread-safe]
  std::string apply_license();
  // Installs every manifest (and its library) of `dir` into the plugin
  // store as unsigned artifacts from the admin's own directory; manifests
  // that fail their checks are kept as refusals for plugins(). Audited.
  void import_plugins_dir(const std::filesystem::path& dir);
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Starts the loop that applies changes made by other processes (the CLI,
  // other hosts) within a second (reconcile/reconciler.h). [main-thread]
  void start_reconciler();
  // nullopt before start_reconciler(). [thread-safe]
  std::optional<reconcile::Status> reconcile_status() const;

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
  std::vector<PluginStatus> import_refusals_;  // manifests refused before install
  // The plugin set readers load (plugin_lifecycle.cpp); apply_mu_ makes one
  // apply at a time; loaded_ remembers verified artifacts by file identity
  // so an unchanged artifact is not re-hashed on every change.
  std::atomic<std::shared_ptr<const PluginSet>> set_;
  std::mutex apply_mu_;
  uint64_t generation_ = 0;
  struct VerifiedFiles {
    std::string identity;  // inode, size and mtime of manifest and library
    store::LoadedArtifact artifact;
  };
  std::map<std::string, VerifiedFiles> verified_;  // by instance key
  std::vector<std::string> warnings_;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<reconcile::Reconciler> reconciler_;  // declared last: stops first
};

}  // namespace vitrine::runtime
