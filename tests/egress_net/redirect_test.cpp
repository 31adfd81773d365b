// Redirects (DESIGN.md "Egress policy" step 6, P1 P4 P7): followed by the
// host, at most 5, every hop re-running decide() and pin() in full, and
// Authorization never leaving the space's Grafana origin.
#include "net_fixture.h"

namespace vitrine::egress::nettest {
namespace {

using client::Outcome;

TEST_F(EgressNet, P1_Redirect_SameOrigin_FollowedAndRechecked) {
  auto& g = server("grafana.test");
  g.route("/api/search/a", {redirect_response(302, "/api/search/b?x=1"), {}});
  g.route("/api/search/b?x=1", {http_response(200, "final"), {}});
  const auto r = fetch("https://grafana.test/api/search/a");
  ASSERT_EQ(r.outcome, Outcome::ok) << r.rule << ": " << r.reason;
  EXPECT_EQ(r.body, "final");
  EXPECT_EQ(r.redirects, 1);
  EXPECT_EQ(r.final_url, "https://grafana.test/api/search/b?x=1");
  const auto seen = g.requests();
  ASSERT_EQ(seen.size(), 2u);
  // Same origin: the token stays attached on the second hop.
  EXPECT_EQ(seen[1].header("authorization"), std::string("Bearer ") + kToken);
  const auto audit = audit_.records();
  ASSERT_EQ(audit.size(), 2u);  // one record per hop
  EXPECT_EQ(audit[0].http_status, 302);
  EXPECT_EQ(audit[1].url, "https://grafana.test/api/search/b?x=REDACTED");
  EXPECT_EQ(audit[1].http_status, 200);
}

TEST_F(EgressNet, P1_Redirect_AllStatusCodesAndRelativeForms) {
  auto& g = server("grafana.test");
  g.route("/api/search/1", {redirect_response(301, "https://grafana.test/api/search/2"), {}});
  g.route("/api/search/2", {redirect_response(303, "//grafana.test/api/search/3"), {}});
  g.route("/api/search/3", {redirect_response(307, "4"), {}});
  g.route("/api/search/4", {redirect_response(308, "?q=5"), {}});
  g.route("/api/search/4?q=5", {http_response(200, "done"), {}});
  const auto r = fetch("https://grafana.test/api/search/1");
  ASSERT_EQ(r.outcome, Outcome::ok) << r.rule << ": " << r.reason;
  EXPECT_EQ(r.redirects, 4);
  EXPECT_EQ(r.body, "done");
}

TEST_F(EgressNet, P4_Redirect_ToOtherAllowedHost_TokenNotSent) {
  auto& g = server("grafana.test");
  auto& o = server("other.test");
  g.route("/api/search", {redirect_response(302, "https://other.test/api/search?k=v"), {}});
  o.route("/api/search?k=v", {http_response(200, "elsewhere"), {}});
  const auto r = fetch("https://grafana.test/api/search");
  ASSERT_EQ(r.outcome, Outcome::ok) << r.rule << ": " << r.reason;
  EXPECT_EQ(r.body, "elsewhere");
  ASSERT_EQ(g.requests().size(), 1u);
  EXPECT_TRUE(g.requests()[0].has("authorization"));
  ASSERT_EQ(o.requests().size(), 1u);
  EXPECT_FALSE(o.requests()[0].has("authorization")) << "the token left its origin";
  const auto audit = audit_.records();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[1].url, "https://other.test/api/search?k=REDACTED");
  EXPECT_EQ(audit[1].verdict, "allow");
}

TEST_F(EgressNet, P1_Redirect_ToUndeclaredHost_Denied) {
  auto& g = server("grafana.test");
  g.route("/api/search", {redirect_response(302, "https://evil.test/api/search"), {}});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::denied);
  EXPECT_EQ(r.rule, "egress-host-not-declared") << r.reason;
  EXPECT_NE(r.reason.find("redirect 1 from https://grafana.test/api/search"), std::string::npos)
      << r.reason;
  EXPECT_EQ(dns_.calls("evil.test"), 0);
}

TEST_F(EgressNet, egress_url_scheme_RedirectDowngradeToHttp) {
  auto& g = server("grafana.test");
  g.route("/api/search", {redirect_response(301, "http://grafana.test/api/search"), {}});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::denied);
  EXPECT_EQ(r.rule, "egress-url-scheme") << r.reason;
  EXPECT_EQ(g.requests().size(), 1u);
  const auto audit = audit_.records();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[1].verdict, "deny");
  EXPECT_EQ(audit[1].rule, "egress-url-scheme");
  EXPECT_EQ(audit[1].url, "http://grafana.test/api/search");
}

TEST_F(EgressNet, egress_url_ip_literal_RedirectToIpLiteral) {
  auto& g = server("grafana.test");
  for (const char* loc : {"https://127.0.0.1/api/search", "https://2130706433/api/search",
                          "https://[::1]/api/search"}) {
    g.route("/api/search", {redirect_response(302, loc), {}});
    const auto r = fetch("https://grafana.test/api/search");
    EXPECT_EQ(r.outcome, Outcome::denied) << loc;
    EXPECT_EQ(r.rule.rfind("egress-url-", 0), 0u) << loc << " -> " << r.rule;
  }
  EXPECT_EQ(g.requests().size(), 3u);
}

TEST_F(EgressNet, egress_address_loopback_RedirectToHostResolvingToLoopback) {
  // internal.test is declared and approved for the space, but it is not in
  // the test override: its real (scripted) answer is loopback, so P7 holds.
  auto& g = server("grafana.test");
  g.route("/api/search", {redirect_response(302, "https://internal.test/api/search"), {}});
  dns_.add("internal.test", {"127.0.0.1"});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::denied);
  EXPECT_EQ(r.rule, "egress-address-loopback") << r.reason;
  EXPECT_EQ(dns_.calls("internal.test"), 1);
  const auto audit = audit_.records();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[1].verdict, "deny");
  EXPECT_EQ(audit[1].rule, "egress-address-loopback");
}

TEST_F(EgressNet, egress_redirect_loop) {
  auto& g = server("grafana.test");
  g.route("/api/search/a", {redirect_response(302, "/api/search/b"), {}});
  g.route("/api/search/b", {redirect_response(302, "/api/search/a"), {}});
  const auto r = fetch("https://grafana.test/api/search/a");
  EXPECT_EQ(r.outcome, Outcome::denied);
  EXPECT_EQ(r.rule, "egress-redirect-loop") << r.reason;
  EXPECT_EQ(g.requests().size(), 2u);  // the loop is refused before a third request
  EXPECT_EQ(audit_.records().back().rule, "egress-redirect-loop");
}

TEST_F(EgressNet, egress_redirect_limit_MoreThanFiveHops) {
  auto& g = server("grafana.test");
  for (int i = 0; i < 8; ++i) {
    g.route("/api/search/" + std::to_string(i),
            {redirect_response(302, "/api/search/" + std::to_string(i + 1)), {}});
  }
  const auto r = fetch("https://grafana.test/api/search/0");
  EXPECT_EQ(r.outcome, Outcome::denied);
  EXPECT_EQ(r.rule, "egress-redirect-limit") << r.reason;
  EXPECT_EQ(g.requests().size(), 6u);  // the original request plus 5 redirects
  const auto audit = audit_.records();
  ASSERT_EQ(audit.size(), 7u);
  EXPECT_EQ(audit.back().verdict, "deny");
  EXPECT_EQ(audit.back().rule, "egress-redirect-limit");
  EXPECT_EQ(audit.back().url, "https://grafana.test/api/search/6");
}

TEST_F(EgressNet, egress_redirect_limit_ExactlyFiveHopsAllowed) {
  auto& g = server("grafana.test");
  for (int i = 0; i < 5; ++i) {
    g.route("/api/search/" + std::to_string(i),
            {redirect_response(302, "/api/search/" + std::to_string(i + 1)), {}});
  }
  g.route("/api/search/5", {http_response(200, "five"), {}});
  const auto r = fetch("https://grafana.test/api/search/0");
  ASSERT_EQ(r.outcome, Outcome::ok) << r.rule;
  EXPECT_EQ(r.redirects, 5);
}

TEST_F(EgressNet, egress_redirect_location_Missing) {
  auto& g = server("grafana.test");
  g.route("/api/search", {"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n", {}});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::upstream);
  EXPECT_EQ(r.rule, "egress-redirect-location");
}

TEST_F(EgressNet, egress_scope_path_RedirectOutOfScope) {
  // P3 on every hop: same origin, but a path the plugin's scopes do not open.
  auto& g = server("grafana.test");
  g.route("/api/search", {redirect_response(302, "/api/admin/users"), {}});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.rule, "egress-scope-path");
  EXPECT_EQ(g.requests().size(), 1u);
}

TEST_F(EgressNet, P7_DnsRebinding_OneResolvePerHop) {
  // No override here: a self-hosted Grafana the admin approved as private
  // (grafana_allow_private), declared on the test server's port. DNS answers
  // loopback first, then the metadata address. The connection must use the
  // first answer without asking again, and the redirect hop, which asks
  // again, must be judged on its own answer.
  ServerOptions opt;
  opt.cert = pki().leaf({"grafana.test"});
  TlsTestServer g(opt);
  const uint16_t port = g.port();
  plugin_.egress = {entry("grafana.test", port)};
  space_.grafana_origin = "https://grafana.test:" + std::to_string(port);
  space_.grafana_allow_private = true;
  space_.customer_managed.clear();
  dns_.add("grafana.test", {"127.0.0.1"});
  dns_.add("grafana.test", {"169.254.169.254"});
  g.route("/api/search/a", {redirect_response(302, "/api/search/b"), {}});
  g.route("/api/search/b", {http_response(200, "never"), {}});

  const std::string base = "https://grafana.test:" + std::to_string(port);
  const auto r = fetch(base + "/api/search/a");
  EXPECT_EQ(r.outcome, Outcome::denied);
  EXPECT_EQ(r.rule, "egress-address-cloud-metadata") << r.reason;
  EXPECT_EQ(dns_.calls("grafana.test"), 2) << "exactly one lookup per hop";
  ASSERT_EQ(g.requests().size(), 1u);  // hop 1 went to the pinned loopback answer
  EXPECT_EQ(g.requests()[0].header("host"), "grafana.test:" + std::to_string(port));
}

TEST_F(EgressNet, P7_DnsRebinding_SingleRequestUsesPinnedAnswer) {
  ServerOptions opt;
  opt.cert = pki().leaf({"grafana.test"});
  TlsTestServer g(opt);
  const uint16_t port = g.port();
  plugin_.egress = {entry("grafana.test", port)};
  space_.grafana_origin = "https://grafana.test:" + std::to_string(port);
  space_.grafana_allow_private = true;
  space_.customer_managed.clear();
  dns_.add("grafana.test", {"127.0.0.1"});
  dns_.add("grafana.test", {"169.254.169.254"});
  g.route("/api/search", {http_response(200, "pinned"), {}});
  const auto r = fetch("https://grafana.test:" + std::to_string(port) + "/api/search");
  ASSERT_EQ(r.outcome, Outcome::ok) << r.rule << ": " << r.reason;
  EXPECT_EQ(r.body, "pinned");
  EXPECT_EQ(dns_.calls("grafana.test"), 1);
}

TEST_F(EgressNet, P7_PinnedAddressesTriedInOrder_NoSecondLookup) {
  // Two checked answers: 127.0.0.2 refuses (the server listens on 127.0.0.1
  // only), so the client falls back to the next pinned address, never to a
  // new lookup.
  ServerOptions opt;
  opt.cert = pki().leaf({"grafana.test"});
  TlsTestServer g(opt);
  const uint16_t port = g.port();
  plugin_.egress = {entry("grafana.test", port)};
  space_.grafana_origin = "https://grafana.test:" + std::to_string(port);
  space_.grafana_allow_private = true;
  space_.customer_managed.clear();
  dns_.add("grafana.test", {"127.0.0.2", "127.0.0.1"});
  g.route("/api/search", {http_response(200, "second"), {}});
  const auto r = fetch("https://grafana.test:" + std::to_string(port) + "/api/search");
  ASSERT_EQ(r.outcome, Outcome::ok) << r.rule << ": " << r.reason;
  EXPECT_EQ(r.body, "second");
  EXPECT_EQ(dns_.calls("grafana.test"), 1);
}

}  // namespace
}  // namespace vitrine::egress::nettest
