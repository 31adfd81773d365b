// Shared fixture for the egress network tests: one test PKI per binary, a
// plugin manifest declaring grafana.test, other.test and internal.test, a
// space whose Grafana origin is https://grafana.test and which binds
// other.test and internal.test as customer-managed origins, a scripted DNS
// (for names that are NOT overridden), an in-memory audit sink and a token.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "egress/client/fetcher.h"
#include "egress/client/http_capability.h"
#include "egress/policy.h"
#include "plugins/call.h"
#include "tls_test_server.h"

namespace vitrine::egress::nettest {

inline constexpr const char* kToken = "glsa_SeCrEt_token_0123456789";
inline constexpr const char* kSpace = "space-a";

inline manifest::EgressEntry entry(const std::string& host, uint16_t port = 443,
                                   bool customer_managed = false) {
  manifest::EgressEntry e;
  e.text = "https://" + host + (port == 443 ? "" : ":" + std::to_string(port));
  e.host = host;
  e.port = port;
  e.customer_managed = customer_managed;
  return e;
}

inline const std::vector<manifest::Scope>& net_catalog() {
  static const std::vector<manifest::Scope> catalog = {
      {"grafana:read:dashboards", "", {"/api/search", "/api/dashboards/uid"}},
  };
  return catalog;
}

class FixedTokens final : public client::TokenProvider {
 public:
  client::TokenAnswer token_for(std::string_view space_key) override {
    ++asked;
    if (space_key == kSpace) return {value, {}};
    return {};
  }
  std::string value = kToken;
  int asked = 0;
};

inline TestPki& pki() {
  static TestPki p;
  return p;
}

class EgressNet : public ::testing::Test {
 protected:
  EgressNet() {
    plugin_.id = "alerts";
    plugin_.version = "1.0.0";
    plugin_.egress = {entry("grafana.test"), entry("other.test", 443, true),
                      entry("internal.test", 443, true)};
    plugin_.scopes = {"grafana:read:dashboards"};
    space_.grafana_origin = "https://grafana.test";
    space_.customer_managed = {{"https://other.test", "alerts", "https://other.test", false},
                               {"https://internal.test", "alerts", "https://internal.test", false}};
  }

  // A server for `host` with a good leaf (or `cert`), mapped by the test
  // override.
  TlsTestServer& server(const std::string& host, ServerOptions opt = {}) {
    if (!opt.cert.cert) opt.cert = pki().leaf({host});
    servers_.push_back(std::make_unique<TlsTestServer>(std::move(opt)));
    overrides_.push_back({host, "127.0.0.1", servers_.back()->port()});
    return *servers_.back();
  }

  client::FetchConfig config() {
    client::FetchConfig c;
    c.extra_ca_file = pki().ca_file().string();
    c.connect_timeout = std::chrono::milliseconds(2000);
    c.handshake_timeout = std::chrono::milliseconds(2000);
    c.total_timeout = std::chrono::milliseconds(5000);
    c.limits.max_body_bytes = 64 * 1024;
    c.resolve = overrides_;
    c.catalog = &net_catalog();
    return c;
  }

  client::Fetcher& fetcher(std::function<void(client::FetchConfig&)> tweak = {}) {
    client::FetchConfig c = config();
    if (tweak) tweak(c);
    std::string error;
    fetcher_ = client::Fetcher::create(std::move(c), dns_, tokens_, audit_, error);
    EXPECT_TRUE(fetcher_) << error;
    return *fetcher_;
  }

  client::FetchResult fetch(const std::string& url,
                            std::chrono::milliseconds deadline = std::chrono::milliseconds(5000),
                            std::vector<Header> headers = {}) {
    if (!fetcher_) fetcher();
    client::FetchRequest r;
    r.plugin = &plugin_;
    r.space = &space_;
    r.space_key = kSpace;
    r.url = url;
    r.headers = std::move(headers);
    r.deadline = client::Clock::now() + deadline;
    client::FetchResult res = fetcher_->get(r);
    expect_no_token(res);
    return res;
  }

  // P4: the token never appears in what the plugin gets back or in audit.
  void expect_no_token(const client::FetchResult& r) {
    for (const std::string* s : {&r.rule, &r.reason, &r.body, &r.final_url, &r.content_type}) {
      EXPECT_EQ(s->find(kToken), std::string::npos) << "token leaked into the result";
    }
    for (const auto& a : audit_.records()) {
      for (const std::string* s : {&a.plugin, &a.space, &a.method, &a.url, &a.verdict, &a.rule}) {
        EXPECT_EQ(s->find(kToken), std::string::npos) << "token leaked into an audit record";
      }
    }
  }

  manifest::Manifest plugin_;
  SpaceOrigins space_;
  ScriptedResolver dns_;
  InMemoryAuditSink audit_;
  FixedTokens tokens_;
  std::vector<client::ResolveOverride> overrides_;
  std::vector<std::unique_ptr<TlsTestServer>> servers_;
  std::unique_ptr<client::Fetcher> fetcher_;
};

// A plugin's http.get through the real capability: one call handle with a
// 5 s deadline in space kSpace, and request/response structs of this ABI.
inline vitrine_str c_str(const char* text) { return vitrine_str{text, std::strlen(text)}; }
inline std::string str(const vitrine_str& v) {
  return v.len == 0 ? std::string() : std::string(v.ptr, v.len);
}
inline int64_t unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

class CapabilityCall : public EgressNet {
 protected:
  CapabilityCall() {
    call_.space_key = kSpace;
    call_.deadline_ms = unix_ms() + 5000;
    request_.struct_size = sizeof(request_);
    response_.struct_size = sizeof(response_);
  }
  vitrine_status get(const char* url) {
    request_.url = c_str(url);
    if (!fetcher_) fetcher();
    return client::http_get(*fetcher_, space_, plugin_, &call_, &request_, &response_);
  }
  vitrine_call call_;
  vitrine_http_request request_{};
  vitrine_http_response response_{};
};

}  // namespace vitrine::egress::nettest
