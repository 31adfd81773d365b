// The vitrine.http/1 "get" implementation (plugin_api/vitrine/capabilities.h):
// struct validation, header conversion, host-owned results, and a distinct
// VITRINE_E_DENIED with rule and reason instead of a fake HTTP response.
#include "egress/client/http_capability.h"

#include <chrono>
#include <cstring>

#include "net_fixture.h"

namespace vitrine::egress::nettest {
namespace {

using client::http_get;

class HttpCapability : public CapabilityCall {};

TEST_F(HttpCapability, P1_OkFillsHostOwnedResponse) {
  auto& g = server("grafana.test");
  g.route("/api/search", {http_response(200, "[]", {"Content-Type: application/json"}), {}});
  const vitrine_http_header headers[] = {{c_str("Accept"), c_str("application/json")}};
  request_.headers = headers;
  request_.header_count = 1;
  ASSERT_EQ(get("https://grafana.test/api/search"), VITRINE_OK) << str(response_.reason);
  EXPECT_EQ(response_.http_status, 200);
  EXPECT_EQ(str(response_.body), "[]");
  EXPECT_EQ(str(response_.content_type), "application/json");
  EXPECT_EQ(str(response_.final_url), "https://grafana.test/api/search");
  EXPECT_EQ(g.requests().at(0).header("accept"), "application/json");
}

TEST_F(HttpCapability, egress_host_not_declared_IsDeniedNotAFakeResponse) {
  ASSERT_EQ(get("https://evil.test/api/search"), VITRINE_E_DENIED);
  EXPECT_EQ(response_.http_status, 0);
  EXPECT_EQ(str(response_.rule), "egress-host-not-declared");
  EXPECT_FALSE(str(response_.reason).empty());
  EXPECT_EQ(response_.body.len, 0u);
  ASSERT_EQ(audit_.records().size(), 1u);
  EXPECT_EQ(audit_.records()[0].verdict, "deny");
}

TEST_F(HttpCapability, header_forbidden_PluginAuthorizationRefused) {
  server("grafana.test");
  const vitrine_http_header headers[] = {{c_str("Authorization"), c_str("Bearer stolen")}};
  request_.headers = headers;
  request_.header_count = 1;
  ASSERT_EQ(get("https://grafana.test/api/search"), VITRINE_E_DENIED);
  EXPECT_EQ(str(response_.rule), "header-forbidden");
}

TEST_F(HttpCapability, TlsFailureIsUnavailableWithRule) {
  ServerOptions opt;
  opt.cert = pki().leaf({"wrong.test"});
  server("grafana.test", opt);
  ASSERT_EQ(get("https://grafana.test/api/search"), VITRINE_E_UNAVAILABLE);
  EXPECT_EQ(str(response_.rule), "egress-tls-name-mismatch");
  EXPECT_EQ(response_.http_status, 0);
}

TEST_F(HttpCapability, P8_RenderDeadlineAlreadyPassedIsTimeout) {
  auto& g = server("grafana.test");
  call_.deadline_ms = unix_ms() - 1;
  ASSERT_EQ(get("https://grafana.test/api/search"), VITRINE_E_TIMEOUT);
  EXPECT_TRUE(g.requests().empty());
}

TEST_F(HttpCapability, P8_RequestTimeoutNeverExtendsRenderDeadline) {
  auto& g = server("grafana.test");
  g.route("/api/search",
          {http_response(200, std::string(200, 'd')), std::chrono::milliseconds(10)});
  call_.deadline_ms = unix_ms() + 300;
  request_.timeout_ms = 60000;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(get("https://grafana.test/api/search"), VITRINE_E_TIMEOUT);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST_F(HttpCapability, InvalidStructsAreRefused) {
  fetcher();
  EXPECT_EQ(http_get(*fetcher_, space_, plugin_, &call_, &request_, nullptr), VITRINE_E_INVALID);
  vitrine_http_response small{};
  small.struct_size = 8;
  EXPECT_EQ(http_get(*fetcher_, space_, plugin_, &call_, &request_, &small), VITRINE_E_INVALID);
  EXPECT_EQ(small.reason.len, 0u) << "nothing written past a short struct_size";

  EXPECT_EQ(http_get(*fetcher_, space_, plugin_, &call_, nullptr, &response_), VITRINE_E_INVALID);
  EXPECT_FALSE(str(response_.reason).empty());

  vitrine_http_request bad = request_;
  bad.struct_size = 4;
  EXPECT_EQ(http_get(*fetcher_, space_, plugin_, &call_, &bad, &response_), VITRINE_E_INVALID);

  bad = request_;
  bad.url = vitrine_str{nullptr, 10};
  EXPECT_EQ(http_get(*fetcher_, space_, plugin_, &call_, &bad, &response_), VITRINE_E_INVALID);

  bad = request_;
  bad.url = c_str("https://grafana.test/api/search");
  bad.headers = nullptr;
  bad.header_count = 2;
  EXPECT_EQ(http_get(*fetcher_, space_, plugin_, &call_, &bad, &response_), VITRINE_E_INVALID);

  EXPECT_EQ(http_get(*fetcher_, space_, plugin_, nullptr, &request_, &response_),
            VITRINE_E_INVALID);
  EXPECT_TRUE(audit_.records().empty()) << "malformed structs never reach the policy";
}

TEST_F(HttpCapability, P4_TokenNeverInResponse) {
  auto& g = server("grafana.test");
  g.route("/api/search", {redirect_response(302, "https://evil.test/x"), {}});
  ASSERT_EQ(get("https://grafana.test/api/search"), VITRINE_E_DENIED);
  for (const vitrine_str* v : {&response_.rule, &response_.reason, &response_.body,
                               &response_.final_url, &response_.content_type}) {
    EXPECT_EQ(str(*v).find(kToken), std::string::npos);
  }
}

}  // namespace
}  // namespace vitrine::egress::nettest
