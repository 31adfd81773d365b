// vitrine.yml: the one file a platform admin writes to run the host.
// Closed schema, validated in one pass with FILE:LINE:COL diagnostics like
// manifests. docs/config.md documents every key; vitrine.example.yml at the
// repository root is a commented example.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/auth_config.h"
#include "manifest/diagnostic.h"

namespace vitrine::config {

struct ResolveOverride {
  std::string host;
  std::string address;
  uint16_t port = 0;
};

struct Config {
  std::filesystem::path path;  // the file it came from; relative paths resolve against its dir
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::filesystem::path data_dir = "vitrine-data";
  std::filesystem::path plugins_dir = "plugins";
  std::filesystem::path key_file;  // empty: VITRINE_MASTER_KEY
  // The store (store/store.h): sqlite in data_dir, or a PostgreSQL database
  // shared by several hosts (store.url, password from store.password_file).
  std::string store_backend = "sqlite";
  std::string store_url;
  std::filesystem::path store_password_file;
  bool store_notify = true;  // store.notify: LISTEN for other hosts' changes
  bool dev_mode = false;
  std::string plugin_mode = "worker";  // worker | in-process
  std::filesystem::path worker_path;   // empty: beside the vitrine binary
  // Worker processes (worker/worker_runner.h): the cap on live workers, 0 =
  // sized by worker_memory_mb over the measured idle memory of one worker;
  // fork workers from a per-plugin zygote; forked workers kept ready.
  int max_workers = 0;
  int worker_memory_mb = 1024;
  bool worker_zygote = true;
  int spare_workers = 2;
  // Under a root host, the unprivileged user plugin workers run as.
  std::string worker_user = "nobody";
  // Plugin development mode: these plugins' macros bypass every render cache
  // (memory, store, page) so each view shows the latest build.
  std::vector<std::string> plugins_development;

  int render_threads = 8;
  int macro_deadline_ms = 10'000;
  int stale_for_s = 86'400;         // how long last-good content is served after it went stale
  uint32_t max_cache_ttl_s = 3600;  // cap on how long a plugin's output counts as fresh
  int memory_cache_mb = 64;         // rendered fragments kept in memory; 0: store only
  // Render lanes (render/render_scheduler.h): how many renders of one space
  // and against one Grafana origin run at once; 0: three quarters of
  // render_threads (at least 1), so the other lanes keep a quarter.
  int render_per_space = 0;
  int render_per_origin = 0;
  int render_max_queued = 4096;  // renders waiting for a thread; beyond: "busy"
  // How long a host's claim to render a cold macro holds before another host
  // sharing the database may take it over (store/render_lease.h).
  int render_lease_s = 5;

  std::string frame_ancestors = "'none'";
  std::string public_url;  // e.g. https://docs.example.com; empty: http://listen
  // When set, /metrics answers only "Authorization: Bearer <the file's token>".
  std::filesystem::path metrics_token_file;
  // The HTTP front end under overload (server/net/http_listener.h).
  int max_rendering_requests = 256;          // handlers waiting on a render at once
  int shutdown_grace_s = 10;                 // stop() abandons handlers still running after it
  int max_connections_per_client = 64;       // per client address; 0: no limit
  int requests_per_second_per_client = 0;    // 0: no rate limit
  int request_burst_per_client = 0;          // 0: the rate
  std::vector<std::string> trusted_proxies;  // CIDR blocks whose X-Forwarded-For is believed

  std::filesystem::path extra_ca_file;
  int connect_timeout_ms = 5'000;
  int handshake_timeout_ms = 5'000;
  int fetch_timeout_ms = 30'000;
  int64_t max_body_bytes = 8 << 20;
  std::vector<ResolveOverride> resolve;  // tests and the demo only

  // Identical license decisions are written as one audit row per window.
  int audit_license_window_s = 60;

  // Sign-in: token form, OpenID Connect, rate limits (config/auth_config.h).
  AuthConfig auth;
};

struct LoadResult {
  std::optional<Config> config;
  std::vector<manifest::Diagnostic> diagnostics;
};

LoadResult parse_config(const std::string& text, const std::filesystem::path& path);
LoadResult load_config(const std::filesystem::path& path);

}  // namespace vitrine::config
