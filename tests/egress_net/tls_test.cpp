// Pinned TLS connection tests (DESIGN.md "Egress policy" step 5, P4 P7 P8):
// chain and strict host name verification against the system store plus
// the extra CA file, TLS >= 1.2, SNI/Host = URL host, token only for the
// space's Grafana origin, override semantics.
#include <openssl/ssl.h>

#include "net_fixture.h"

namespace vitrine::egress::nettest {
namespace {

using client::Outcome;

TEST_F(EgressNet, P4_HappyPath_TokenAttachedForGrafanaOrigin) {
  auto& g = server("grafana.test");
  g.route("/api/search?query=cpu",
          {http_response(200, R"([{"uid":"a"}])", {"Content-Type: application/json"}), {}});
  const auto r = fetch("https://grafana.test/api/search?query=cpu", std::chrono::milliseconds(5000),
                       {{"Accept", "application/json"}});
  ASSERT_EQ(r.outcome, Outcome::ok) << r.rule << ": " << r.reason;
  EXPECT_EQ(r.rule, "egress-allow");
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.body, R"([{"uid":"a"}])");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.final_url, "https://grafana.test/api/search?query=cpu");

  const auto seen = g.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].request_line, "GET /api/search?query=cpu HTTP/1.1");
  EXPECT_EQ(seen[0].header("host"), "grafana.test");  // URL host, not 127.0.0.1:port
  EXPECT_EQ(seen[0].header("authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(seen[0].header("accept"), "application/json");
  EXPECT_EQ(seen[0].header("accept-encoding"), "gzip");
  EXPECT_EQ(seen[0].header("connection"), "close");

  const auto audit = audit_.records();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].plugin, "alerts");
  EXPECT_EQ(audit[0].space, kSpace);
  EXPECT_EQ(audit[0].method, "GET");
  EXPECT_EQ(audit[0].url, "https://grafana.test/api/search?query=REDACTED");
  EXPECT_EQ(audit[0].verdict, "allow");
  EXPECT_EQ(audit[0].rule, "egress-allow");
  EXPECT_EQ(audit[0].http_status, 200);
  EXPECT_EQ(audit[0].bytes, r.body.size());
}

TEST_F(EgressNet, P4_NoTokenForCustomerManagedOrigin) {
  auto& o = server("other.test");
  o.route("/api/search", {http_response(200, "ok"), {}});
  const auto r = fetch("https://other.test/api/search");
  ASSERT_EQ(r.outcome, Outcome::ok) << r.reason;
  ASSERT_EQ(o.requests().size(), 1u);
  EXPECT_FALSE(o.requests()[0].has("authorization"));
  EXPECT_EQ(tokens_.asked, 0);  // not even looked up
}

TEST_F(EgressNet, P4_NonDefaultPortInHostHeader) {
  // Declared with an explicit port; the override keeps the URL port in Host.
  plugin_.egress.push_back(entry("grafana.test", 8443));
  space_.grafana_origin = "https://grafana.test:8443";
  auto& g = server("grafana.test");
  g.route("/api/search", {http_response(200, "ok"), {}});
  const auto r = fetch("https://grafana.test:8443/api/search");
  ASSERT_EQ(r.outcome, Outcome::ok) << r.reason;
  EXPECT_EQ(g.requests()[0].header("host"), "grafana.test:8443");
  EXPECT_EQ(g.requests()[0].header("authorization"), std::string("Bearer ") + kToken);
}

TEST_F(EgressNet, egress_tls_name_mismatch_LeafForAnotherName) {
  ServerOptions opt;
  opt.cert = pki().leaf({"wrong.test"});
  auto& g = server("grafana.test", opt);
  g.route("/api/search", {http_response(200, "secret"), {}});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::unavailable);
  EXPECT_EQ(r.rule, "egress-tls-name-mismatch") << r.reason;
  EXPECT_TRUE(g.requests().empty()) << "no request (and no token) before verification";
  ASSERT_EQ(audit_.records().size(), 1u);
  EXPECT_EQ(audit_.records()[0].rule, "egress-tls-name-mismatch");
  EXPECT_EQ(audit_.records()[0].verdict, "error");
  EXPECT_EQ(audit_.records()[0].http_status, 0);
}

TEST_F(EgressNet, egress_tls_name_mismatch_StrictForLoopbackPeer) {
  // The peer IS loopback (127.0.0.1); Poco's relaxed mode would skip the
  // name check here. A certificate naming 127.0.0.1 / localhost must not
  // satisfy a request for grafana.test.
  ServerOptions opt;
  opt.cert = pki().leaf({"localhost", "127.0.0.1"});
  server("grafana.test", opt);
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.rule, "egress-tls-name-mismatch") << r.reason;
}

TEST_F(EgressNet, egress_tls_name_mismatch_NoPartialWildcard) {
  ServerOptions opt;
  opt.cert = pki().leaf({"*.grafana.test"});  // does not cover the apex
  server("grafana.test", opt);
  EXPECT_EQ(fetch("https://grafana.test/api/search").rule, "egress-tls-name-mismatch");
}

TEST_F(EgressNet, egress_tls_untrusted_LeafFromUnknownCa) {
  ServerOptions opt;
  opt.cert = pki().leaf({"grafana.test"}, LeafKind::untrusted_ca);
  auto& g = server("grafana.test", opt);
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::unavailable);
  EXPECT_EQ(r.rule, "egress-tls-untrusted") << r.reason;
  EXPECT_TRUE(g.requests().empty());
}

TEST_F(EgressNet, egress_tls_untrusted_WithoutExtraCaFile) {
  // The test CA is trusted only through the extra CA file.
  server("grafana.test");
  fetcher([](client::FetchConfig& c) { c.extra_ca_file.clear(); });
  EXPECT_EQ(fetch("https://grafana.test/api/search").rule, "egress-tls-untrusted");
}

TEST_F(EgressNet, egress_tls_expired) {
  ServerOptions opt;
  opt.cert = pki().leaf({"grafana.test"}, LeafKind::expired);
  auto& g = server("grafana.test", opt);
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::unavailable);
  EXPECT_EQ(r.rule, "egress-tls-expired") << r.reason;
  EXPECT_TRUE(g.requests().empty());
}

TEST_F(EgressNet, egress_tls_version_ServerOffersOnlyTls11) {
  ServerOptions opt;
  opt.max_version = TLS1_1_VERSION;
  auto& g = server("grafana.test", opt);
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::unavailable);
  EXPECT_EQ(r.rule, "egress-tls-version") << r.reason;
  EXPECT_TRUE(g.requests().empty());
}

TEST_F(EgressNet, egress_tls_version_ServerOffersOnlyTls10) {
  ServerOptions opt;
  opt.max_version = TLS1_VERSION;
  server("grafana.test", opt);
  EXPECT_EQ(fetch("https://grafana.test/api/search").rule, "egress-tls-version");
}

TEST_F(EgressNet, egress_token_invalid_HeaderInjectionNeverSent) {
  auto& g = server("grafana.test");
  tokens_.value = "abc\r\nX-Injected: 1";
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::internal);
  EXPECT_EQ(r.rule, "egress-token-invalid");
  EXPECT_EQ(r.reason.find("abc"), std::string::npos) << "the token is not quoted in the reason";
  EXPECT_EQ(g.connections(), 0);
}

TEST_F(EgressNet, P4_NoTokenConfigured_RequestGoesWithoutAuthorization) {
  auto& g = server("grafana.test");
  g.route("/api/search", {http_response(401, "no token"), {}});
  tokens_.value.clear();
  space_.grafana_origin = "https://grafana.test";
  client::FetchRequest req;
  fetcher();
  req.plugin = &plugin_;
  req.space = &space_;
  req.space_key = "space-without-token";
  req.url = "https://grafana.test/api/search";
  const auto r = fetcher_->get(req);
  ASSERT_EQ(r.outcome, Outcome::ok) << r.rule;
  EXPECT_EQ(r.http_status, 401);
  EXPECT_FALSE(g.requests().at(0).has("authorization"));
}

TEST_F(EgressNet, egress_timeout_handshake_ServerNeverSpeaksTls) {
  ServerOptions opt;
  opt.speak_tls = false;
  server("grafana.test", opt);
  fetcher([](client::FetchConfig& c) { c.handshake_timeout = std::chrono::milliseconds(300); });
  const auto start = client::Clock::now();
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::timeout);
  EXPECT_EQ(r.rule, "egress-timeout-handshake") << r.reason;
  EXPECT_LT(client::Clock::now() - start, std::chrono::seconds(3));
}

TEST_F(EgressNet, egress_connect_failed_NothingListening) {
  overrides_.push_back({"grafana.test", "127.0.0.1", closed_port()});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::unavailable);
  EXPECT_EQ(r.rule, "egress-connect-failed") << r.reason;
  ASSERT_EQ(audit_.records().size(), 1u);
  EXPECT_EQ(audit_.records()[0].rule, "egress-connect-failed");
}

TEST_F(EgressNet, P7_OverrideSkipsOnlyAddressClass_PolicyStillApplies) {
  // grafana.test is overridden, but an undeclared path still fails the
  // scope rule and a forbidden header still fails the header rule.
  auto& g = server("grafana.test");
  EXPECT_EQ(fetch("https://grafana.test/api/admin/users").rule, "egress-scope-path");
  EXPECT_EQ(fetch("https://grafana.test/api/search", std::chrono::milliseconds(5000),
                  {{"Authorization", "Bearer x"}})
                .rule,
            "header-forbidden");
  EXPECT_TRUE(g.requests().empty());
  EXPECT_EQ(dns_.calls("grafana.test"), 0) << "an overridden name never reaches DNS";
}

TEST_F(EgressNet, P7_WithoutOverrideLoopbackIsRefused) {
  dns_.add("grafana.test", {"127.0.0.1"});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::denied);
  EXPECT_EQ(r.rule, "egress-address-loopback");
  ASSERT_EQ(audit_.records().size(), 1u);
  EXPECT_EQ(audit_.records()[0].verdict, "deny");
}

TEST_F(EgressNet, egress_config_override_address_MustBeLoopback) {
  for (const char* addr : {"10.0.0.1", "169.254.169.254", "8.8.8.8", "localhost", "0.0.0.0"}) {
    client::FetchConfig c = config();
    c.resolve = {{"grafana.test", addr, 443}};
    std::string error;
    EXPECT_FALSE(client::Fetcher::create(c, dns_, tokens_, audit_, error)) << addr;
    EXPECT_NE(error.find("egress-config-override-address"), std::string::npos) << error;
  }
  client::FetchConfig c = config();
  c.resolve = {{"*.grafana.test", "127.0.0.1", 443}};
  std::string error;
  EXPECT_FALSE(client::Fetcher::create(c, dns_, tokens_, audit_, error));
  EXPECT_NE(error.find("egress-config-override-host"), std::string::npos) << error;
}

TEST_F(EgressNet, egress_config_override_WarnsAtStart) {
  server("grafana.test");
  auto& f = fetcher();
  ASSERT_EQ(f.warnings().size(), 1u);
  EXPECT_NE(f.warnings()[0].find("grafana.test"), std::string::npos);
}

TEST_F(EgressNet, egress_config_tls_BadExtraCaFile) {
  client::FetchConfig c = config();
  c.extra_ca_file = "/nonexistent/ca.pem";
  std::string error;
  EXPECT_FALSE(client::Fetcher::create(c, dns_, tokens_, audit_, error));
  EXPECT_NE(error.find("egress-config-tls"), std::string::npos) << error;
}

}  // namespace
}  // namespace vitrine::egress::nettest
