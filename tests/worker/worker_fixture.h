// Shared pieces of the worker tests: a recording CallServices that runs the
// real egress decision, manifest loading, and a neighbour macro that keeps
// rendering while an attack runs.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "egress/policy.h"
#include "manifest/manifest.h"
#include "plugins/call.h"
#include "plugins/call_services.h"
#include "plugins/loader.h"
#include "worker/worker_runner.h"

namespace vitrine::worker::testing {

inline manifest::Manifest load_manifest(const std::filesystem::path& path) {
  auto checked = manifest::check_file(path);
  if (!checked.ok()) {
    ADD_FAILURE() << "manifest " << path << " does not check";
    return {};
  }
  return *checked.manifest;
}

// The bundled `hello` plugin, the well-behaved plugin most worker tests run.
inline const std::filesystem::path kHello =
    std::filesystem::path(BUNDLED_PLUGINS_DIR) / "hello.yml";

// Adds the plugin at `manifest` to `runner`; on a refusal the failure says
// why (ASSERT_TRUE(added(runner, kHello))).
inline ::testing::AssertionResult added(plugins::PluginRunner& runner,
                                        const std::filesystem::path& manifest) {
  plugins::Refusal refusal;
  if (runner.add(load_manifest(manifest), refusal)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << manifest << " refused: " << refusal.message;
}

// Records every capability call with the space the HOST attached to it. The
// http capability runs the real egress decision (host/egress/policy.h)
// against the calling plugin's manifest and the space's Grafana origin, and
// never touches the network.
class RecordingServices final : public plugins::CallServices {
 public:
  struct Record {
    std::string op;
    std::string space;
    std::string key;
  };

  // Cache contents per space: key -> value.
  std::map<std::string, std::map<std::string, std::string>> cache;
  std::string grafana_origin = "https://acme.grafana.net";

  std::vector<Record> records() {
    std::lock_guard lock(mu_);
    return records_;
  }
  std::vector<egress::Decision> decisions() {
    std::lock_guard lock(mu_);
    return decisions_;
  }
  int fetches() {
    std::lock_guard lock(mu_);
    return fetches_;
  }

  vitrine_status http_get(vitrine_call* call, const vitrine_http_request* req,
                          vitrine_http_response* resp) override {
    std::vector<egress::Header> headers;
    for (size_t i = 0; i < req->header_count; ++i) {
      headers.push_back({std::string(req->headers[i].name.ptr, req->headers[i].name.len),
                         std::string(req->headers[i].value.ptr, req->headers[i].value.len)});
    }
    const std::string url(req->url.ptr, req->url.len);
    egress::SpaceOrigins origins;
    origins.grafana_origin = grafana_origin;
    egress::Request r;
    r.url = url;
    r.headers = &headers;
    egress::Decision d = egress::decide(call->plugin->manifest, origins, r);
    std::lock_guard lock(mu_);
    records_.push_back({"http", call->space_key, url});
    decisions_.push_back(d);
    if (!d.allowed) {
      resp->rule = call->keep(d.rule);
      resp->reason = call->keep(d.reason);
      return VITRINE_E_DENIED;
    }
    ++fetches_;
    resp->http_status = 200;
    resp->body = call->keep("[]");
    return VITRINE_OK;
  }

  vitrine_status cache_get(vitrine_call* call, vitrine_str key, vitrine_cache_entry* out) override {
    const std::string k(key.ptr, key.len);
    std::lock_guard lock(mu_);
    records_.push_back({"cache_get", call->space_key, k});
    auto& space = cache[call->space_key];
    auto it = space.find(k);
    if (it == space.end()) return VITRINE_E_NOT_FOUND;
    out->value = call->keep(it->second);
    return VITRINE_OK;
  }
  vitrine_status cache_put(vitrine_call* call, vitrine_str key, vitrine_str value,
                           uint32_t) override {
    std::lock_guard lock(mu_);
    records_.push_back({"cache_put", call->space_key, std::string(key.ptr, key.len)});
    cache[call->space_key][std::string(key.ptr, key.len)] = std::string(value.ptr, value.len);
    return VITRINE_OK;
  }
  vitrine_status asset_put(vitrine_call*, vitrine_str, vitrine_str, vitrine_asset_ref*) override {
    return VITRINE_E_UNAVAILABLE;
  }
  void log(vitrine_call* call, vitrine_log_level, vitrine_str message) override {
    std::lock_guard lock(mu_);
    records_.push_back({"log", call->space_key, std::string(message.ptr, message.len)});
  }
  vitrine_status is_licensed(vitrine_call*, vitrine_str, int32_t* licensed) override {
    *licensed = 1;
    return VITRINE_OK;
  }

 private:
  std::mutex mu_;
  std::vector<Record> records_;
  std::vector<egress::Decision> decisions_;
  int fetches_ = 0;
};

// Renders `hello` on another thread, over and over, until stopped: the
// other macro on the same page.
class Neighbour {
 public:
  Neighbour(plugins::PluginRunner& runner, plugins::CallServices* services)
      : thread_([this, &runner, services] {
          plugins::RenderInput in;
          in.macro_key = "hello";
          in.params = {{"name", "neighbour"}};
          in.space_key = "space-n";
          in.timeout_ms = 5000;
          in.services = services;
          while (!stop_) {
            auto out = runner.render("hello", in);
            if (out.status == VITRINE_OK &&
                out.html == "<p class=\"vitrine-hello\">Hello, neighbour!</p>") {
              ++ok_;
            } else {
              ++failed_;
              std::lock_guard lock(mu_);
              last_error_ = out.rule + ": " + out.error;
            }
          }
        }) {}
  ~Neighbour() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int ok() const { return ok_; }
  int failed() const { return failed_; }
  std::string last_error() {
    std::lock_guard lock(mu_);
    return last_error_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0};
  std::atomic<int> failed_{0};
  std::mutex mu_;
  std::string last_error_;
  std::thread thread_;
};

inline WorkerConfig test_config() {
  WorkerConfig c;
  c.worker_path = VITRINE_WORKER_PATH;
  c.backoff_initial_ms = 50;
  c.backoff_max_ms = 400;
  // Starts happen when a test asks, so counts and pids are deterministic;
  // WorkerZygote.P6_ASpareServesOnlyTheSpaceThatTookIt covers spares.
  c.spare_workers = 0;
  return c;
}

}  // namespace vitrine::worker::testing
