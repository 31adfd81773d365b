// Policy rules beyond URL syntax: the plugin's own entries (P1), space
// narrowing and customer-managed bindings (P1), token attachment (P4),
// scopes (P3), method and body (P2), headers (header-*), and audit (P9).
#include "egress/policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.h"

namespace vitrine::egress {
namespace {

using testing::entry;
using testing::plugin;
using testing::test_catalog;

const SpaceOrigins kAcme{"https://acme.grafana.net", false, {}};

Request get(std::string_view url) {
  Request r;
  r.url = url;
  return r;
}

// ------------------------------------------------------------ P1

TEST(P1EgressHostNotDeclared, PluginAEgressNeverLetsPluginBThrough) {
  const auto a = plugin("alert_list", {entry("https://*.grafana.net")}, {"grafana:read:alerts"});
  const auto b = plugin("status", {entry("https://status.example.com")}, {"grafana:read:alerts"});
  const std::string url = "https://acme.grafana.net/api/prometheus/grafana/api/v1/rules";
  EXPECT_TRUE(decide(a, kAcme, get(url), &test_catalog()).allowed);
  const Decision d = decide(b, kAcme, get(url), &test_catalog());
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "egress-host-not-declared");
  EXPECT_NE(d.reason.find("status"), std::string::npos) << d.reason;
  // And the other way round.
  const SpaceOrigins status{"https://status.example.com", false, {}};
  EXPECT_EQ(decide(a, status, get("https://status.example.com/api/search"), &test_catalog()).rule,
            "egress-host-not-declared");
}

TEST(P1EgressOriginNotApproved, DeclaredHostOutsideTheSpaceIsDenied) {
  const auto a = plugin("alert_list", {entry("https://*.grafana.net")}, {"grafana:read:alerts"});
  const Decision d =
      decide(a, kAcme, get("https://other.grafana.net/api/prometheus/grafana/api/v1/rules"),
             &test_catalog());
  EXPECT_EQ(d.rule, "egress-origin-not-approved");
  EXPECT_NE(d.reason.find("https://acme.grafana.net"), std::string::npos) << d.reason;
}

TEST(P1EgressOriginNotApproved, PortIsPartOfTheOrigin) {
  const auto a =
      plugin("alert_list", {entry("https://*.grafana.net"), entry("https://*.grafana.net:8443")},
             {"grafana:read:alerts"});
  const Decision d =
      decide(a, kAcme, get("https://acme.grafana.net:8443/api/prometheus/grafana/api/v1/rules"),
             &test_catalog());
  EXPECT_EQ(d.rule, "egress-origin-not-approved");
}

TEST(P1EgressCustomerManaged, BoundOriginOutsideThePatternIsAllowed) {
  const auto a =
      plugin("alert_list", {entry("https://*.grafana.net", true)}, {"grafana:read:alerts"});
  SpaceOrigins space{
      "https://grafana.corp.example:3000",
      true,
      {{"https://grafana.corp.example:3000", "alert_list", "https://*.grafana.net", true}}};
  const Decision d =
      decide(a, space, get("https://grafana.corp.example:3000/api/prometheus/grafana/api/v1/rules"),
             &test_catalog());
  ASSERT_TRUE(d.allowed) << d.rule << ": " << d.reason;
  EXPECT_TRUE(d.attach_token) << "it is the space's Grafana origin";
  EXPECT_TRUE(d.allow_private);
  EXPECT_EQ(d.matched_entry, "https://*.grafana.net");
}

TEST(P1EgressCustomerManaged, BindingForPluginANeverLetsPluginBThrough) {
  const auto b = plugin("other", {entry("https://*.grafana.net", true)}, {"grafana:read:alerts"});
  SpaceOrigins space{
      "https://acme.grafana.net",
      false,
      {{"https://grafana.corp.example", "alert_list", "https://*.grafana.net", true}}};
  const Decision d =
      decide(b, space, get("https://grafana.corp.example/api/prometheus/grafana/api/v1/rules"),
             &test_catalog());
  EXPECT_EQ(d.rule, "egress-host-not-declared");
}

TEST(P1EgressCustomerManaged, BindingNeedsTheEntryToStillBeCustomerManaged) {
  const auto a =
      plugin("alert_list", {entry("https://*.grafana.net", false)}, {"grafana:read:alerts"});
  SpaceOrigins space{
      "https://acme.grafana.net",
      false,
      {{"https://grafana.corp.example", "alert_list", "https://*.grafana.net", false}}};
  EXPECT_EQ(
      decide(a, space, get("https://grafana.corp.example/api/prometheus/grafana/api/v1/rules"),
             &test_catalog())
          .rule,
      "egress-host-not-declared");
}

TEST(P1EgressCustomerManaged, BoundOriginIsNotTheTokenOrigin) {
  const auto a =
      plugin("alert_list", {entry("https://*.grafana.net", true)}, {"grafana:read:alerts"});
  SpaceOrigins space{
      "https://acme.grafana.net",
      false,
      {{"https://mirror.corp.example", "alert_list", "https://*.grafana.net", false}}};
  const Decision d =
      decide(a, space, get("https://mirror.corp.example/api/prometheus/grafana/api/v1/rules"),
             &test_catalog());
  ASSERT_TRUE(d.allowed) << d.reason;
  EXPECT_FALSE(d.attach_token);
  EXPECT_FALSE(d.allow_private);
}

TEST(P1EgressSpaceOriginInvalid, BadSpaceOriginDeniesEverything) {
  const auto a = plugin("alert_list", {entry("https://*.grafana.net")}, {"grafana:read:alerts"});
  SpaceOrigins space{"http://acme.grafana.net", false, {}};
  EXPECT_EQ(decide(a, space, get("https://acme.grafana.net/api/prometheus/grafana/api/v1/rules"),
                   &test_catalog())
                .rule,
            "egress-space-origin-invalid");
}

TEST(P1EgressEntryMatch, WildcardNeverMatchesApexAndPortMustMatch) {
  const auto w = entry("https://*.grafana.net");
  EXPECT_TRUE(entry_matches(w, "a.grafana.net", 443));
  EXPECT_TRUE(entry_matches(w, "a.b.grafana.net", 443));
  EXPECT_FALSE(entry_matches(w, "grafana.net", 443));
  EXPECT_FALSE(entry_matches(w, ".grafana.net", 443));
  EXPECT_FALSE(entry_matches(w, "agrafana.net", 443));
  EXPECT_FALSE(entry_matches(w, "a.grafana.net", 8443));
  const auto e = entry("https://grafana.example.com:8443");
  EXPECT_TRUE(entry_matches(e, "grafana.example.com", 8443));
  EXPECT_FALSE(entry_matches(e, "grafana.example.com", 443));
  EXPECT_FALSE(entry_matches(e, "a.grafana.example.com", 8443));
}

// ------------------------------------------------------------ P4

TEST(P4EgressAttachToken, OnlyForTheSpaceGrafanaOriginExactly) {
  const auto a =
      plugin("alert_list", {entry("https://*.grafana.net"), entry("https://*.grafana.net:8443")},
             {"grafana:read:alerts"});
  SpaceOrigins space{"https://ACME.grafana.net:443/", false, {}};
  const std::string path = "/api/prometheus/grafana/api/v1/rules";
  const Decision same = decide(a, space, get("https://acme.grafana.net" + path), &test_catalog());
  ASSERT_TRUE(same.allowed) << same.reason;
  EXPECT_TRUE(same.attach_token);
  EXPECT_FALSE(
      decide_without_space(a, get("https://acme.grafana.net" + path), &test_catalog()).attach_token)
      << "no space, no token";
  const Decision other_port =
      decide(a, space, get("https://acme.grafana.net:8443" + path), &test_catalog());
  EXPECT_FALSE(other_port.allowed);
  EXPECT_FALSE(other_port.attach_token);
}

// ------------------------------------------------------------ P3

TEST(P3EgressScopePath, NoAlertsScopeMeansNoPrometheusEvenOnAllowedHost) {
  // Against the real compiled-in catalog.
  const manifest::Scope* alerts = manifest::find_scope("grafana:read:alerts");
  ASSERT_NE(alerts, nullptr);
  ASSERT_FALSE(alerts->path_prefixes.empty());
  std::string prom;
  for (const auto& p : alerts->path_prefixes) {
    if (p.rfind("/api/prometheus/", 0) == 0) prom = p;
  }
  ASSERT_FALSE(prom.empty()) << "grafana:read:alerts opens a /api/prometheus/ prefix";
  const std::string url = "https://acme.grafana.net" + prom + "?limit=10";

  const auto dash = plugin("dashboard", {entry("https://*.grafana.net")},
                           {"grafana:read:dashboards", "storage:cache"});
  const Decision d = decide(dash, kAcme, get(url));
  EXPECT_EQ(d.rule, "egress-scope-path");
  EXPECT_NE(d.reason.find("grafana:read:alerts"), std::string::npos)
      << "the denial names the scope that would open it: " << d.reason;

  const auto al = plugin("alert_list", {entry("https://*.grafana.net")}, {"grafana:read:alerts"});
  const Decision ok = decide(al, kAcme, get(url));
  EXPECT_TRUE(ok.allowed) << ok.rule << ": " << ok.reason;
  EXPECT_EQ(ok.matched_scope, "grafana:read:alerts");
}

TEST(P3EgressScopePath, NonHttpScopesOpenNothing) {
  const auto p =
      plugin("cache_only", {entry("https://*.grafana.net")}, {"storage:cache", "storage:assets"});
  EXPECT_EQ(decide(p, kAcme, get("https://acme.grafana.net/api/search")).rule, "egress-scope-path");
}

TEST(P3EgressScopePath, UnknownScopeIdOpensNothing) {
  const auto p = plugin("x", {entry("https://*.grafana.net")}, {"grafana:read:everything"});
  EXPECT_EQ(decide(p, kAcme, get("https://acme.grafana.net/api/search"), &test_catalog()).rule,
            "egress-scope-path");
}

TEST(P3EgressScopePath, PrefixMatchesOnlyAtSegmentOrQueryBoundary) {
  EXPECT_TRUE(prefix_matches("/api/search", "/api/search"));
  EXPECT_TRUE(prefix_matches("/api/search", "/api/search/x"));
  EXPECT_TRUE(prefix_matches("/api/search", "/api/search?q=1"));
  EXPECT_FALSE(prefix_matches("/api/search", "/api/searchx"));
  EXPECT_FALSE(prefix_matches("/api/search", "/api/searc"));
  EXPECT_FALSE(prefix_matches("/api/search", "/api/search%2F"));
  EXPECT_FALSE(prefix_matches("/render/d", "/render/d-solo")) << "d-solo is its own prefix";
  EXPECT_TRUE(prefix_matches("/api/search?type=dash-db", "/api/search?type=dash-db&q=1") == false);
  EXPECT_TRUE(prefix_matches("/api/search?type=dash-db", "/api/search?type=dash-db"));
}

// ------------------------------------------------------------ P2

class P2EgressMethod : public ::testing::TestWithParam<const char*> {};

TEST_P(P2EgressMethod, OnlyExactGet) {
  const auto a = plugin("alert_list", {entry("https://*.grafana.net")}, {"grafana:read:alerts"});
  Request r = get("https://acme.grafana.net/api/prometheus/grafana/api/v1/rules");
  r.method = GetParam();
  const Decision d = decide(a, kAcme, r, &test_catalog());
  EXPECT_EQ(d.rule, "egress-method");
  EXPECT_NE(d.reason.find("P2"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Methods, P2EgressMethod,
                         ::testing::Values("POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
                                           "TRACE", "CONNECT", "get", "Get", "GET ", " GET", "",
                                           "GET\r\n"));

TEST(P2EgressBody, BodyIsRefused) {
  const auto a = plugin("alert_list", {entry("https://*.grafana.net")}, {"grafana:read:alerts"});
  Request r = get("https://acme.grafana.net/api/prometheus/grafana/api/v1/rules");
  r.has_body = true;
  EXPECT_EQ(decide(a, kAcme, r, &test_catalog()).rule, "egress-body");
}

TEST(EgressRuleOrder, UrlRulesComeFirst) {
  const auto a = plugin("alert_list", {entry("https://*.grafana.net")}, {"grafana:read:alerts"});
  Request r = get("http://acme.grafana.net/api/x");
  r.method = "POST";
  r.has_body = true;
  EXPECT_EQ(decide(a, kAcme, r, &test_catalog()).rule, "egress-url-scheme");
}

// ------------------------------------------------------------ headers

Decision with_headers(std::vector<Header> headers) {
  static const auto a =
      plugin("alert_list", {entry("https://*.grafana.net")}, {"grafana:read:alerts"});
  Request r = get("https://acme.grafana.net/api/prometheus/grafana/api/v1/rules");
  r.headers = &headers;
  return decide(a, kAcme, r, &test_catalog());
}

TEST(HeaderAllowed, AllowlistPasses) {
  const Decision d = with_headers({{"Accept", "application/json"},
                                   {"accept-language", "en-GB, en;q=0.8"},
                                   {"If-None-Match", "\"abc\""},
                                   {"If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT"},
                                   {"X-Grafana-Org-Id", "2"}});
  EXPECT_TRUE(d.allowed) << d.rule << ": " << d.reason;
}

class HeaderForbidden : public ::testing::TestWithParam<const char*> {};

TEST_P(HeaderForbidden, NeverFromPlugins) {
  const Decision d = with_headers({{GetParam(), "x"}});
  EXPECT_EQ(d.rule, "header-forbidden") << GetParam();
  EXPECT_NE(d.reason.find("remove it"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Names, HeaderForbidden,
                         ::testing::Values("Host", "host", "HOST", "Authorization", "Cookie",
                                           "Content-Length", "Transfer-Encoding", "Connection",
                                           "Upgrade", "Proxy-Authorization", "Proxy-Connection",
                                           "proxy-anything", "X-HTTP-Method-Override",
                                           "X-Method-Override", "X-HTTP-Method", "TE", "Trailer",
                                           "Keep-Alive", "Expect"));

class HeaderNotAllowed : public ::testing::TestWithParam<const char*> {};

TEST_P(HeaderNotAllowed, OffTheAllowlist) {
  EXPECT_EQ(with_headers({{GetParam(), "x"}}).rule, "header-not-allowed") << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Names, HeaderNotAllowed,
                         ::testing::Values("User-Agent", "X-Forwarded-For", "X-Forwarded-Host",
                                           "Forwarded", "Accept-Encoding", "Referer", "Origin",
                                           "X-Real-IP", "X-Original-URL", "X-Rewrite-URL",
                                           "X-Grafana-Device-Id", "Cache-Control", "Range"));

TEST(HeaderCrlf, CrLfNulInNamesOrValues) {
  EXPECT_EQ(with_headers({{"Accept", "a\r\nHost: evil"}}).rule, "header-crlf");
  EXPECT_EQ(with_headers({{"Accept", "a\nb"}}).rule, "header-crlf");
  EXPECT_EQ(with_headers({{"Accept", "a\rb"}}).rule, "header-crlf");
  EXPECT_EQ(with_headers({{"Accept", std::string("a\0b", 3)}}).rule, "header-crlf");
  EXPECT_EQ(with_headers({{"Accept\r\nHost", "x"}}).rule, "header-crlf");
  EXPECT_EQ(with_headers({{std::string("Accept\0", 7), "x"}}).rule, "header-crlf");
}

TEST(HeaderNameInvalid, NotAToken) {
  EXPECT_EQ(with_headers({{"", "x"}}).rule, "header-name-invalid");
  EXPECT_EQ(with_headers({{"Accept ", "x"}}).rule, "header-name-invalid");
  EXPECT_EQ(with_headers({{"Accept:", "x"}}).rule, "header-name-invalid");
  EXPECT_EQ(with_headers({{"Acc(ept", "x"}}).rule, "header-name-invalid");
  EXPECT_EQ(with_headers({{"Accépt", "x"}}).rule, "header-name-invalid");
}

TEST(HeaderValueInvalid, ControlAndNonAscii) {
  EXPECT_EQ(with_headers({{"Accept", "a\x01"}}).rule, "header-value-invalid");
  EXPECT_EQ(with_headers({{"Accept", "a\x7f"}}).rule, "header-value-invalid");
  EXPECT_EQ(with_headers({{"Accept", "caf\xC3\xA9"}}).rule, "header-value-invalid");
  EXPECT_TRUE(with_headers({{"Accept", "a\tb"}}).allowed) << "HTAB is legal in values";
}

TEST(HeaderTooMany, Limit) {
  std::vector<Header> h(kMaxPluginHeaders, Header{"Accept", "x"});
  EXPECT_TRUE(with_headers(h).allowed);
  h.push_back({"Accept", "x"});
  EXPECT_EQ(with_headers(h).rule, "header-too-many");
}

TEST(HeaderTooLong, Limit) {
  EXPECT_TRUE(with_headers({{"Accept", std::string(kMaxHeaderValueLength, 'a')}}).allowed);
  EXPECT_EQ(with_headers({{"Accept", std::string(kMaxHeaderValueLength + 1, 'a')}}).rule,
            "header-too-long");
}

// ------------------------------------------------------------ P9 audit

TEST(P9EgressAudit, RedactsQueryValuesUserinfoAndFragment) {
  EXPECT_EQ(redact_query_values("https://a.example.com/x?token=abc&q=&flag"),
            "https://a.example.com/x?token=REDACTED&q=&flag");
  EXPECT_EQ(redact_query_values("https://user:secret@a.example.com/x?k=v#frag"),
            "https://REDACTED@a.example.com/x?k=REDACTED#REDACTED");
  EXPECT_EQ(redact_query_values("https://a.example.com/x"), "https://a.example.com/x");
  EXPECT_EQ(redact_query_values("https://a.example.com/a b\r\n?x=1"),
            "https://a.example.com/a%20b%0D%0A?x=REDACTED");
  EXPECT_EQ(redact_query_values("not a url?secret=1"), "not%20a%20url?secret=REDACTED");
  const std::string huge = "https://a.example.com/" + std::string(5000, 'a');
  const std::string r = redact_query_values(huge);
  EXPECT_LT(r.size(), 2100u);
  EXPECT_NE(r.find("[truncated]"), std::string::npos);
}

TEST(P9EgressAudit, RecordOfADenialNamesTheRuleAndHidesSecrets) {
  const auto a = plugin("alert_list", {entry("https://*.grafana.net")}, {"grafana:read:alerts"});
  InMemoryAuditSink sink;
  Request r = get("https://admin:hunter2@acme.grafana.net/api/x?apikey=s3cret");
  const Decision d = decide(a, kAcme, r, &test_catalog());
  sink.record(audit_record("alert_list", "ops", r, d));
  const auto recs = sink.records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].verdict, "deny");
  EXPECT_EQ(recs[0].rule, "egress-url-userinfo");
  EXPECT_EQ(recs[0].plugin, "alert_list");
  EXPECT_EQ(recs[0].space, "ops");
  EXPECT_EQ(recs[0].method, "GET");
  EXPECT_EQ(recs[0].url.find("hunter2"), std::string::npos) << recs[0].url;
  EXPECT_EQ(recs[0].url.find("s3cret"), std::string::npos) << recs[0].url;
}

TEST(P9EgressAudit, RecordOfAnAllowUsesTheCanonicalUrl) {
  const auto a = plugin("alert_list", {entry("https://*.grafana.net")}, {"grafana:read:alerts"});
  Request r = get("https://ACME.grafana.net:443/api/prometheus/grafana/api/v1/rules?state=firing");
  const Decision d = decide(a, kAcme, r, &test_catalog());
  ASSERT_TRUE(d.allowed);
  const AuditRecord rec = audit_record("alert_list", "ops", r, d);
  EXPECT_EQ(rec.verdict, "allow");
  EXPECT_EQ(rec.rule, "egress-allow");
  EXPECT_EQ(rec.url, "https://acme.grafana.net/api/prometheus/grafana/api/v1/rules?state=REDACTED");
}

}  // namespace
}  // namespace vitrine::egress
