#include "runtime/runtime.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

#include "blocking/blocking.h"
#include "egress/client/http_capability.h"
#include "license/license_files.h"
#include "log/log.h"
#include "plugins/call.h"
#include "plugins/capability_tables.h"
#include "plugins/loader.h"
#include "runtime/worker_factory.h"
#include "store/upstream_flights.h"

namespace vitrine::runtime {
namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string view(vitrine_str s) {
  return s.ptr == nullptr ? std::string() : std::string(s.ptr, s.len);
}

// The fetcher asks for a token only when a hop's origin is exactly the
// space's Grafana origin (P4); the store hands it out only for that origin.
class StoreTokens final : public egress::client::TokenProvider {
 public:
  explicit StoreTokens(store::Store& s) : store_(s) {}
  egress::client::TokenAnswer token_for(std::string_view space_key) override {
    const std::string key(space_key);
    auto origins = store_.spaces().origins(key);
    if (!origins || origins->grafana_origin.empty()) return {};
    auto token = store_.spaces().token_for(key, origins->grafana_origin);
    if (token) return {std::string(token->view()), {}};
    if (token.error().code == store::Errc::not_found) return {};
    // Configured but unusable here (a key this host lacks, a damaged
    // record): say so rather than send the request without it.
    return {std::nullopt, "the space's Grafana token is stored but this host cannot decrypt it: " +
                              token.error().message};
  }

 private:
  store::Store& store_;
};

// Every egress decision goes to the audit table (P9) and to the metrics.
class CountingAudit final : public egress::AuditSink {
 public:
  CountingAudit(store::Store& s, metrics::Registry& m) : store_sink_(s.audit()), metrics_(m) {}
  void record(const egress::AuditRecord& r) override {
    store_sink_.record(r);
    metrics_
        .counter("vitrine_egress_decisions_total", "Egress decisions by verdict and rule",
                 {{"verdict", r.verdict}, {"rule", r.rule}})
        .inc();
    if (r.verdict == "allow" && r.http_status != 0) {
      metrics_
          .histogram("vitrine_upstream_request_duration_seconds",
                     "Upstream (Grafana) request latency")
          .observe(static_cast<double>(r.ms) / 1000.0);
    }
  }

 private:
  store::StoreAuditSink store_sink_;
  metrics::Registry& metrics_;
};

}  // namespace

struct Runtime::Impl {
  egress::SystemResolver resolver;
  std::unique_ptr<StoreTokens> tokens;
  std::unique_ptr<CountingAudit> audit;
  // Declared before the fetcher, which uses it until it is destroyed.
  std::unique_ptr<store::UpstreamFlights> upstream_flights;
  std::unique_ptr<egress::client::Fetcher> fetcher;
  std::unique_ptr<SpaceStates> space_states;
};

Runtime::~Runtime() = default;

void Runtime::start_reconciler() {
  if (reconciler_) return;
  reconciler_ = std::make_unique<reconcile::Reconciler>(*store_, &metrics_);
  reconciler_->on_change([this] {
    (void)apply_license();
    return apply_plugins();
  });
  reconciler_->start();
}

std::string Runtime::apply_license() {
  auto lic = license::load_installed(config_.data_dir, config_.dev_mode, now_ms() / 1000);
  if (lic.ok) {
    gate_.install(lic.license);
    return {};
  }
  gate_.install(std::nullopt, lic.present ? lic.reason : std::string());
  return lic.present ? "license refused: " + lic.reason : std::string();
}

std::optional<reconcile::Status> Runtime::reconcile_status() const {
  if (!reconciler_) return std::nullopt;
  return reconciler_->status();
}

std::unique_ptr<Runtime> Runtime::open(const config::Config& cfg, std::string& error,
                                       std::unique_ptr<plugins::PluginRunner> runner_override) {
  std::unique_ptr<Runtime> rt(new Runtime());
  rt->config_ = cfg;
  rt->impl_ = std::make_unique<Impl>();

  auto keyring = store::crypto::Keyring::load(
      cfg.key_file.empty() ? std::nullopt : std::optional<std::filesystem::path>(cfg.key_file));
  if (!keyring) {
    error = keyring.error().message;
    return nullptr;
  }
  store::StoreOptions so;
  so.data_dir = cfg.data_dir;
  so.backend = cfg.store_backend;
  so.url = cfg.store_url;
  so.password_file = cfg.store_password_file;
  so.notify = cfg.store_notify;
  if (!cfg.key_file.empty()) so.key_file = cfg.key_file;
  so.keyring = std::move(*keyring);
  auto st = store::Store::open(std::move(so));
  if (!st) {
    error = st.error().message;
    return nullptr;
  }
  rt->store_ = std::move(*st);
  {
    store::Store* store = rt->store_.get();
    rt->impl_->space_states = std::make_unique<SpaceStates>(
        [store](const std::string& space) {
          SpaceState state;
          if (auto row = store->backend().get_space(space)) state.space_id = row->id;
          if (auto rows = store->approvals().enabled(space)) {
            for (const auto& r : *rows) state.enabled_plugins.insert(r.plugin_id);
          }
          auto origins = store->spaces().origins(space);
          if (origins && !origins->grafana_origin.empty()) state.origins = std::move(*origins);
          return state;
        },
        [store] { return store->changes(); }, std::chrono::seconds(1));
  }

  // Licensing: a refused license is not fatal; gated features stay off and
  // every check says why.
  if (auto refused = rt->apply_license(); !refused.empty()) rt->warnings_.push_back(refused);
  Runtime* self = rt.get();
  // License decisions are counted per window and written as one row each
  // (store/audit_aggregate.h): a gated view never waits for a store write.
  rt->store_->license_audit().set_window(std::chrono::seconds(cfg.audit_license_window_s));
  rt->gate_.set_observer([self](const license::GateDecision& d) {
    self->store_->license_audit().note(
        store::LicenseDecision{d.space, d.plugin, d.feature, d.licensed, d.reason});
  });
  {
    // A failed audit write is counted in /metrics (and logged, and turns
    // /readyz unready: store/audit.h AuditHealth).
    auto& failures = rt->metrics_.counter("vitrine_audit_write_failures_total",
                                          "Audit rows that could not be written (disk full, I/O)");
    rt->store_->audit().health().on_failure([&failures] { failures.inc(); });
  }

  egress::client::FetchConfig fc;
  fc.extra_ca_file = cfg.extra_ca_file.string();
  fc.connect_timeout = std::chrono::milliseconds(cfg.connect_timeout_ms);
  fc.handshake_timeout = std::chrono::milliseconds(cfg.handshake_timeout_ms);
  fc.total_timeout = std::chrono::milliseconds(cfg.fetch_timeout_ms);
  fc.limits.max_body_bytes = static_cast<size_t>(cfg.max_body_bytes);
  for (const auto& r : cfg.resolve) fc.resolve.push_back({r.host, r.address, r.port});
  rt->impl_->tokens = std::make_unique<StoreTokens>(*rt->store_);
  // Hosts sharing the store send one request per distinct upstream request
  // between them (egress/client/single_flight.h UF-5, same lease length as
  // render leases).
  // A response is reused for as long (UF-9): a page's macros rendered one
  // after the other share it, on one host or several.
  const int64_t lease_ms = int64_t{cfg.render_lease_s} * 1000;
  rt->impl_->upstream_flights = std::make_unique<store::UpstreamFlights>(
      rt->store_->context(),
      store::UpstreamFlightOptions{.lease_ms = lease_ms, .reuse_ms = lease_ms});
  fc.shared_flights = rt->impl_->upstream_flights.get();
  fc.reuse_window = std::chrono::milliseconds(lease_ms);
  {
    metrics::Registry* m = &rt->metrics_;
    fc.on_shared = [m](bool from_store) {
      m->counter("vitrine_egress_coalesced_total",
                 "Upstream GETs answered by an identical request's response",
                 {{"via", from_store ? "store" : "process"}})
          .inc();
    };
  }
  rt->impl_->audit = std::make_unique<CountingAudit>(*rt->store_, rt->metrics_);
  std::string fetch_error;
  rt->impl_->fetcher = egress::client::Fetcher::create(fc, rt->impl_->resolver, *rt->impl_->tokens,
                                                       *rt->impl_->audit, fetch_error);
  if (!rt->impl_->fetcher) {
    error = "egress configuration: " + fetch_error;
    return nullptr;
  }
  for (const auto& w : rt->impl_->fetcher->warnings()) rt->warnings_.push_back(w);

  plugins::offer_standard_capabilities(rt->host_);
  if (runner_override) {
    rt->runner_ = std::move(runner_override);
  } else if (cfg.plugin_mode == "in-process") {
    rt->runner_ = plugins::make_in_process_runner(rt->host_.abi());
    rt->warnings_.push_back(
        "plugins run in-process: no isolation between plugins and the host (development only)");
  } else {
    rt->runner_ = make_worker_runner(cfg, error, &rt->metrics_);
    if (!rt->runner_) return nullptr;
  }

  // The admin's plugins directory is an import source: what it holds is
  // installed (content-addressed) and then runs only as approvals allow.
  rt->import_plugins_dir(cfg.plugins_dir);
  if (auto why = rt->apply_plugins(); !why.empty()) {
    error = why;
    return nullptr;
  }
  for (const auto& w : rt->warnings_) log::warn("host.warning", {{"detail", w}});
  return rt;
}

std::optional<MacroTarget> Runtime::find_macro(const std::string& key) const {
  auto set = plugin_set();
  auto it = set->macros.find(key);
  if (it == set->macros.end()) return std::nullopt;
  MacroTarget t = it->second;
  t.set = std::move(set);
  return t;
}

bool Runtime::enabled_in(const std::string& space, const std::string& plugin_id) {
  return space_state(space)->enabled_plugins.count(plugin_id) > 0;
}

std::shared_ptr<const SpaceState> Runtime::space_state(const std::string& space) {
  return impl_->space_states->get(space);
}

store::ConnectionTestResult Runtime::test_connection(const std::string& who,
                                                     const std::string& space) {
  blocking::about_to_block();  // an upstream round trip follows
  store::ConnectionTester tester = [this](const std::string& key,
                                          const egress::SpaceOrigins& origins) {
    store::ConnectionTestResult r;
    auto origin = egress::parse_origin(origins.grafana_origin);
    if (!origin.ok) {
      r.message = "the space has no valid Grafana origin; connect it first";
      return r;
    }
    // The host's own identity for this one request: the space's exact
    // origin and the dashboards scope, so the same egress rules apply as to
    // any plugin (and the token goes only to that origin).
    manifest::Manifest self;
    self.id = "vitrine-host";
    self.scopes = {"grafana:read:dashboards"};
    manifest::EgressEntry e;
    e.text = origins.grafana_origin;
    e.host = origin.url.host;
    e.port = origin.url.port;
    self.egress = {e};
    egress::client::FetchRequest req;
    req.plugin = &self;
    req.space = &origins;
    req.space_key = key;
    req.url = origin.url.origin() + "/api/search?limit=1";
    auto res = impl_->fetcher->get(req);
    r.http_status = res.http_status;
    if (res.outcome != egress::client::Outcome::ok) {
      r.message = res.reason + " [" + res.rule + "]";
    } else if (res.http_status == 401 || res.http_status == 403) {
      r.message = "Grafana refused the space's token (HTTP " + std::to_string(res.http_status) +
                  "); set a valid service-account token";
    } else if (res.http_status != 200) {
      r.message = "Grafana answered HTTP " + std::to_string(res.http_status);
    } else {
      r.ok = true;
      r.message = "connected: Grafana accepted the token";
    }
    return r;
  };
  auto r = store_->spaces().test_connection(who, space, tester);
  if (!r) return store::ConnectionTestResult{false, 0, r.error().message};
  return *r;
}

vitrine_status Runtime::http_get(vitrine_call* call, const vitrine_http_request* req,
                                 vitrine_http_response* resp) {
  auto origins = store_->spaces().origins(call->space_key);
  if (!origins) {
    if (resp != nullptr && resp->struct_size >= sizeof(vitrine_http_response)) {
      resp->rule = call->keep("egress-space-origin-invalid");
      resp->reason = call->keep("the space is not connected to a Grafana origin");
    }
    return VITRINE_E_DENIED;
  }
  // Identical upstream requests share one request inside the fetcher,
  // after the egress policy allowed each of them (single_flight.h UF-1).
  return egress::client::http_get(*impl_->fetcher, *origins, call->plugin->manifest, call, req,
                                  resp);
}

vitrine_status Runtime::cache_get(vitrine_call* call, vitrine_str key, vitrine_cache_entry* out) {
  auto hit = store_->cache().get(call->space_key, call->plugin->manifest.id, view(key));
  if (!hit) {
    if (hit.error().code == store::Errc::not_found) return VITRINE_E_NOT_FOUND;
    out->reason = call->keep(hit.error().message);
    return VITRINE_E_INTERNAL;
  }
  out->value = call->keep(std::string(hit->value.view()));
  out->stored_at_ms = hit->fetched_at_ms;
  out->is_stale = hit->stale ? 1 : 0;
  return VITRINE_OK;
}

vitrine_status Runtime::cache_put(vitrine_call* call, vitrine_str key, vitrine_str value,
                                  uint32_t ttl_s) {
  auto st = store_->cache().put(call->space_key, call->plugin->manifest.id, view(key), view(value),
                                ttl_s, config_.stale_for_s);
  if (st) return VITRINE_OK;
  return st.error().code == store::Errc::invalid ? VITRINE_E_TOO_LARGE : VITRINE_E_INTERNAL;
}

vitrine_status Runtime::asset_put(vitrine_call* call, vitrine_str content_type, vitrine_str data,
                                  vitrine_asset_ref* out) {
  auto id = store_->assets().put(call->space_key, view(content_type), view(data));
  if (!id) {
    out->reason = call->keep(id.error().message);
    return id.error().code == store::Errc::invalid ? VITRINE_E_INVALID : VITRINE_E_INTERNAL;
  }
  out->url = call->keep("/assets/" + call->space_key + "/" + *id);
  return VITRINE_OK;
}

void Runtime::log(vitrine_call* call, vitrine_log_level level, vitrine_str message) {
  static constexpr log::Level kLevels[] = {log::Level::debug, log::Level::info, log::Level::warn,
                                           log::Level::error};
  log::write(kLevels[level], "plugin.log",
             {{"plugin", call->plugin->manifest.id},
              {"space", call->space_key},
              {"page", call->page_id},
              {"message", view(message)}});
}

vitrine_status Runtime::is_licensed(vitrine_call* call, vitrine_str feature, int32_t* licensed) {
  auto d = gate_.check(call->space_key, view(feature), now_ms() / 1000, call->plugin->manifest.id);
  *licensed = d.licensed ? 1 : 0;
  return VITRINE_OK;
}

}  // namespace vitrine::runtime
