#include "validate/capture_services.h"

#include <atomic>

#include "egress/client/http_capability.h"
#include "plugins/call.h"

namespace vitrine::validate {
namespace {

std::string view(vitrine_str s) {
  return s.ptr == nullptr ? std::string() : std::string(s.ptr, s.len);
}

class FixedToken final : public egress::client::TokenProvider {
 public:
  explicit FixedToken(std::string token) : token_(std::move(token)) {}
  egress::client::TokenAnswer token_for(std::string_view) override { return {token_, {}}; }

 private:
  std::string token_;
};

// Decisions are captured per request in http_get; nothing else needs them.
class NoAudit final : public egress::AuditSink {
 public:
  void record(const egress::AuditRecord&) override {}
};

}  // namespace

struct CaptureServices::Impl {
  SpaceSetup setup;
  egress::SpaceOrigins origins;
  egress::SystemResolver resolver;
  std::unique_ptr<FixedToken> tokens;
  NoAudit audit;
  std::unique_ptr<egress::client::Fetcher> fetcher;
  mutable std::mutex mu;
  std::map<std::string, std::vector<Request>> requests;  // by page id
  std::set<std::string> storage;
  std::atomic<uint64_t> assets{0};
};

std::unique_ptr<CaptureServices> CaptureServices::create(const SpaceSetup& setup,
                                                         std::string& error) {
  std::unique_ptr<CaptureServices> s(new CaptureServices);
  s->impl_ = std::make_unique<Impl>();
  auto& i = *s->impl_;
  i.setup = setup;
  // The simulator is on loopback: approved as a private (self-hosted)
  // Grafana, exactly as a platform admin approves one (P7).
  i.origins.grafana_origin = setup.grafana_origin;
  i.origins.grafana_allow_private = true;
  i.tokens = std::make_unique<FixedToken>(setup.token);
  egress::client::FetchConfig fc;
  fc.extra_ca_file = setup.ca_file;
  fc.connect_timeout = std::chrono::milliseconds(2000);
  fc.handshake_timeout = std::chrono::milliseconds(2000);
  fc.resolve = {setup.resolve};
  i.fetcher = egress::client::Fetcher::create(fc, i.resolver, *i.tokens, i.audit, error);
  if (!i.fetcher) return nullptr;
  return s;
}

CaptureServices::~CaptureServices() = default;

std::vector<Request> CaptureServices::take(const std::string& page_id) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->requests.find(page_id);
  if (it == impl_->requests.end()) return {};
  auto out = std::move(it->second);
  impl_->requests.erase(it);
  return out;
}

std::set<std::string> CaptureServices::storage_scopes_used() const {
  std::lock_guard lock(impl_->mu);
  return impl_->storage;
}

vitrine_status CaptureServices::http_get(vitrine_call* call, const vitrine_http_request* req,
                                         vitrine_http_response* resp) {
  const vitrine_status st = egress::client::http_get(*impl_->fetcher, impl_->origins,
                                                     call->plugin->manifest, call, req, resp);
  Request r;
  r.status = st;
  if (req != nullptr && req->struct_size >= sizeof(vitrine_http_request)) r.url = view(req->url);
  if (resp != nullptr && resp->struct_size >= sizeof(vitrine_http_response)) {
    r.http_status = resp->http_status;
    r.rule = view(resp->rule);
    r.reason = view(resp->reason);
  }
  std::lock_guard lock(impl_->mu);
  impl_->requests[call->page_id].push_back(std::move(r));
  return st;
}

vitrine_status CaptureServices::cache_get(vitrine_call* call, vitrine_str,
                                          vitrine_cache_entry* out) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->storage.insert("storage:cache");
  }
  // Always a miss: every render takes the fetch path, so faults reach it.
  if (out != nullptr && out->struct_size >= sizeof(vitrine_cache_entry)) {
    out->reason = call->keep("nothing is cached during a validation run");
  }
  return VITRINE_E_NOT_FOUND;
}

vitrine_status CaptureServices::cache_put(vitrine_call*, vitrine_str, vitrine_str, uint32_t) {
  std::lock_guard lock(impl_->mu);
  impl_->storage.insert("storage:cache");
  return VITRINE_OK;
}

vitrine_status CaptureServices::asset_put(vitrine_call* call, vitrine_str, vitrine_str,
                                          vitrine_asset_ref* out) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->storage.insert("storage:assets");
  }
  if (out != nullptr && out->struct_size >= sizeof(vitrine_asset_ref)) {
    out->url = call->keep(impl_->setup.asset_prefix + "validate-" +
                          std::to_string(++impl_->assets) + ".png");
  }
  return VITRINE_OK;
}

void CaptureServices::log(vitrine_call*, vitrine_log_level, vitrine_str) {}

vitrine_status CaptureServices::is_licensed(vitrine_call*, vitrine_str, int32_t* licensed) {
  if (licensed != nullptr) *licensed = 1;
  return VITRINE_OK;
}

}  // namespace vitrine::validate
