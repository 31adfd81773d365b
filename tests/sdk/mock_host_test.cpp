// Vitrine::plugin_test, the mock host plugin authors unit-test with: the
// bundled plugins driven through it (observable behaviour only: status,
// HTML, requests), and the mock's own promises, through a probe plugin that
// writes what it saw (tests/sdk/mock_host_probe.c).
#include "vitrine/testing/mock_host.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using vitrine::testing::MockHost;
using vitrine::testing::Param;

const std::string kPlugins = PLUGINS_DIR;
const std::string kProbe = std::string(PROBE_DIR) + "/mock_probe.so";
const std::string kBase = "https://mock.grafana.invalid";
const std::string kRules = kBase + "/api/prometheus/grafana/api/v1/rules";

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(FIXTURES_DIR) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("fixture missing: " + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ------------------------------------------------ bundled plugins

TEST(MockHostAlertList, RendersCannedGrafanaRulesWithOneRequest) {
  MockHost host(kPlugins + "/alert_list.so");
  EXPECT_EQ(host.plugin_id(), "alert_list");
  host.respond(kRules, 200, fixture("rules.json"));
  const auto r = host.render("alert-list", {{"states", Param::list({"firing"})}});
  ASSERT_EQ(r.status, VITRINE_OK) << r;
  EXPECT_TRUE(r.contains("Checkout high latency")) << r;
  EXPECT_FALSE(r.contains("Memory pressure")) << "a normal rule is filtered out: " << r;
  EXPECT_GT(r.cache_ttl_s, 0u);
  EXPECT_EQ(r.violations, "");
  EXPECT_EQ(host.request_urls(), std::vector<std::string>{kRules});
}

// The example of docs/testing-plugins.md: an empty stack says so.
TEST(MockHostAlertList, EmptyStackSaysNoAlerts) {
  MockHost host(kPlugins + "/alert_list.so");
  host.respond(kRules, 200, R"({"status":"success","data":{"groups":[]}})");
  const auto r =
      host.render("alert-list", {{"states", Param::list({"firing"})}, {"max_items", 10}});
  ASSERT_EQ(r.status, VITRINE_OK) << r;
  EXPECT_TRUE(r.contains("No alerts")) << r;
  EXPECT_EQ(host.requests_to(kRules), 1u);
}

// Each capability failure reaches the page author as the same status, with
// a reason (ABI-5), and the plugin writes no HTML.
TEST(MockHostAlertList, EachHttpFailureStatusBecomesARenderFailureWithAReason) {
  for (const vitrine_status st : {VITRINE_E_UNAVAILABLE, VITRINE_E_TIMEOUT, VITRINE_E_TOO_LARGE,
                                  VITRINE_E_UPSTREAM, VITRINE_E_DENIED}) {
    MockHost host(kPlugins + "/alert_list.so");
    host.fail(kRules, st, "injected for the test", "egress-host-not-declared");
    const auto r = host.render("alert-list");
    EXPECT_EQ(r.status, st) << vitrine_mock_status_name(st) << ": " << r;
    EXPECT_FALSE(r.error.empty()) << vitrine_mock_status_name(st);
    EXPECT_EQ(r.html, "") << vitrine_mock_status_name(st);
    EXPECT_EQ(r.violations, "") << vitrine_mock_status_name(st);
  }
}

TEST(MockHostAlertList, GrafanaServerErrorIsUpstreamAndNotFoundIsNotFound) {
  MockHost host(kPlugins + "/alert_list.so");
  host.respond(kRules, 503, R"({"message":"down"})");
  auto r = host.render("alert-list");
  EXPECT_EQ(r.status, VITRINE_E_UPSTREAM) << r;
  EXPECT_NE(r.error.find("503"), std::string::npos) << r;
  host.respond(kRules, 404, R"({"message":"not found"})");
  r = host.render("alert-list");
  EXPECT_EQ(r.status, VITRINE_E_NOT_FOUND) << r;
}

TEST(MockHostAlertList, UnansweredRequestFailsDeniedWithoutNetwork) {
  MockHost host(kPlugins + "/alert_list.so");
  const auto r = host.render("alert-list");
  EXPECT_EQ(r.status, VITRINE_E_DENIED) << r;
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(host.requests_to(kRules), 1u);
}

TEST(MockHostAlertList, BadgeAsksForItsLicenseFeature) {
  MockHost host(kPlugins + "/alert_list.so");
  host.respond(kRules, 200, fixture("rules.json"));
  auto r = host.render("alert-badge");
  EXPECT_EQ(r.status, VITRINE_E_NOT_LICENSED) << r;
  EXPECT_EQ(host.license_checks("alert-badges"), 1u);
  EXPECT_TRUE(host.requests().empty()) << "nothing is fetched for an unlicensed badge";
  host.license("alert-badges");
  r = host.render("alert-badge");
  ASSERT_EQ(r.status, VITRINE_OK) << r;
  EXPECT_TRUE(r.contains("Firing")) << r;
  EXPECT_EQ(host.license_checks("alert-badges"), 2u);
}

TEST(MockHostAnnotationTimeline, AnyQueryAnswerServesTheQueriedUrl) {
  MockHost host(kPlugins + "/annotation_timeline.so");
  host.respond_any_query(kBase + "/api/annotations", 200, fixture("annotations.json"));
  host.set_time_range("2024-06-01T00:00:00Z", "2024-06-10T00:00:00Z", 1717200000000, 1718000000000);
  const auto r = host.render("annotation-timeline");
  ASSERT_EQ(r.status, VITRINE_OK) << r;
  EXPECT_TRUE(r.contains("Deploy checkout v2.14.0")) << r;
  const auto reqs = host.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].url.rfind(kBase + "/api/annotations?", 0), 0u) << reqs[0].url;
}

// A PNG of the given size: signature, IHDR, one stored-deflate IDAT, IEND,
// with real CRCs and Adler-32, as Grafana's renderer would send.
std::string png(uint32_t w, uint32_t h) {
  auto crc = [](const std::string& s) {
    uint32_t c = 0xffffffffu;
    for (unsigned char b : s) {
      c ^= b;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
  };
  auto be = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  auto chunk = [&](const std::string& type, const std::string& data) {
    return be(static_cast<uint32_t>(data.size())) + type + data + be(crc(type + data));
  };
  const std::string raw(static_cast<size_t>(h) * (w + 1), '\0');  // filter 0, black, gray
  uint32_t a = 1, b = 0;
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  const auto n = static_cast<uint16_t>(raw.size());
  std::string z = "\x78\x01\x01";
  z += static_cast<char>(n & 0xff);
  z += static_cast<char>(n >> 8);
  z += static_cast<char>(~n & 0xff);
  z += static_cast<char>((~n >> 8) & 0xff);
  z += raw + be((b << 16) | a);
  const std::string ihdr = be(w) + be(h) + std::string("\x08\x00\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", z) +
         chunk("IEND", "");
}

TEST(MockHostPanelImage, StoresTheImageAsAnAssetTheHtmlReferences) {
  MockHost host(kPlugins + "/panel_image.so");
  const std::string image = png(200, 100);
  host.respond_prefix(kBase + "/render/d-solo/", 200, image, "image/png");
  const auto r = host.render("panel-image", {{"dashboard_uid", Param::uid("svc-checkout")},
                                             {"panel_id", 2},
                                             {"width", 200},
                                             {"height", 100}});
  ASSERT_EQ(r.status, VITRINE_OK) << r;
  ASSERT_EQ(host.asset_count(), 1u);
  const size_t src = r.html.find("src=\"");
  ASSERT_NE(src, std::string::npos) << r;
  const std::string url = r.html.substr(src + 5, r.html.find('"', src + 5) - src - 5);
  const auto asset = host.asset(url);
  ASSERT_TRUE(asset.has_value()) << "the HTML references " << url;
  EXPECT_EQ(asset->content_type, "image/png");
  EXPECT_EQ(asset->data, image);
  ASSERT_EQ(host.requests().size(), 1u);
  EXPECT_EQ(host.requests()[0].header("accept").value_or(""), "image/png");
}

// ------------------------------------------------------- loading

TEST(MockHostLoad, PluginBuiltForANewerAbiIsRefusedInWords) {
  MockHost host;
  EXPECT_FALSE(host.load(std::string(PROBE_DIR) + "/mock_probe_newer.so"));
  EXPECT_NE(host.last_error().find("[abi-minor-too-new]"), std::string::npos) << host.last_error();
  EXPECT_NE(host.last_error().find("built for plugin ABI 1."), std::string::npos)
      << host.last_error();
  EXPECT_THROW(MockHost(std::string(PROBE_DIR) + "/mock_probe_newer.so"), std::runtime_error);
}

TEST(MockHostLoad, MissingLibraryAndSecondLoadAreRefused) {
  MockHost host;
  EXPECT_FALSE(host.load(kPlugins + "/no_such_plugin.so"));
  EXPECT_NE(host.last_error().find("[library-missing]"), std::string::npos) << host.last_error();
  ASSERT_TRUE(host.load(kProbe)) << host.last_error();
  EXPECT_FALSE(host.load(kProbe));
  EXPECT_NE(host.last_error().find("already loaded"), std::string::npos);
}

TEST(MockHostLoad, UnknownMacroIsInvalidAndNamesTheMacros) {
  MockHost host(kProbe);
  const auto r = host.render("nope");
  EXPECT_EQ(r.status, VITRINE_E_INVALID);
  EXPECT_NE(r.error.find("[probe]"), std::string::npos) << r.error;
}

// ---------------------------------------------------------- http/1

TEST(MockHostHttp, NoAnswerIsDeniedWithAReasonNamingTheUrlAndTheFix) {
  MockHost host(kProbe);
  const std::string url = kBase + "/api/search?type=dash-folder";
  const auto r = host.render("probe", {{"op", "get"}, {"url", url}});
  ASSERT_EQ(r.status, VITRINE_OK) << r;
  EXPECT_TRUE(r.contains("status=2 http=0")) << r;
  EXPECT_TRUE(r.contains("rule=mock-no-answer")) << r;
  EXPECT_TRUE(r.contains("reason=the mock host has no answer for " + url)) << r;
  EXPECT_TRUE(r.contains("vitrine_mock_host_respond()")) << r;
}

TEST(MockHostHttp, ExactBeatsAnyQueryBeatsLongestPrefix) {
  MockHost host(kProbe);
  host.respond_prefix(kBase + "/", 200, "short-prefix");
  host.respond_prefix(kBase + "/api/", 200, "long-prefix");
  host.respond_any_query(kBase + "/api/search", 200, "any-query");
  host.respond(kBase + "/api/search?query=a", 200, "exact");
  auto body = [&](const std::string& url) {
    const auto r = host.render("probe", {{"op", "get"}, {"url", url}});
    return r.html.substr(r.html.find("body=") + 5);
  };
  EXPECT_EQ(body(kBase + "/api/search?query=a"), "exact");
  EXPECT_EQ(body(kBase + "/api/search?query=b"), "any-query");
  EXPECT_EQ(body(kBase + "/api/search"), "any-query");
  EXPECT_EQ(body(kBase + "/api/health"), "long-prefix");
  EXPECT_EQ(body(kBase + "/login"), "short-prefix");
}

TEST(MockHostHttp, ResponseCarriesStatusTypeBodyAndFinalUrl) {
  MockHost host(kProbe);
  host.answer(kBase + "/a", VITRINE_MOCK_MATCH_EXACT, VITRINE_OK, 302, "<html>login</html>",
              "text/html", {}, {}, kBase + "/login");
  const auto r = host.render("probe", {{"op", "get"}, {"url", kBase + "/a"}});
  EXPECT_TRUE(r.contains("status=0 http=302 type=text/html final=" + kBase + "/login")) << r;
  EXPECT_TRUE(r.contains("body=<html>login</html>")) << r;
}

TEST(MockHostHttp, EachInjectedFailureReachesThePluginWithAReason) {
  for (const vitrine_status st : {VITRINE_E_INVALID, VITRINE_E_DENIED, VITRINE_E_NOT_FOUND,
                                  VITRINE_E_UNAVAILABLE, VITRINE_E_TIMEOUT, VITRINE_E_TOO_LARGE,
                                  VITRINE_E_NOT_LICENSED, VITRINE_E_UPSTREAM, VITRINE_E_INTERNAL}) {
    MockHost host(kProbe);
    host.fail(kBase + "/x", st);  // no reason given: the mock supplies one
    const auto r = host.render("probe", {{"op", "get"}, {"url", kBase + "/x"}});
    const std::string name = vitrine_mock_status_name(st);
    EXPECT_TRUE(r.contains("status=" + std::to_string(st) + " http=0")) << name << ": " << r;
    EXPECT_TRUE(r.contains("reason=failure injected by the test: " + name)) << r;
    EXPECT_EQ(r.contains("rule=mock-denied"), st == VITRINE_E_DENIED) << r;
  }
  MockHost host(kProbe);
  host.fail(kBase + "/x", VITRINE_E_DENIED, "host not in egress", "egress-host-not-declared");
  const auto r = host.render("probe", {{"op", "get"}, {"url", kBase + "/x"}});
  EXPECT_TRUE(r.contains("rule=egress-host-not-declared reason=host not in egress")) << r;
  EXPECT_THROW(host.fail(kBase + "/x", VITRINE_OK), std::invalid_argument);
  EXPECT_THROW(host.fail(kBase + "/x", 42), std::invalid_argument);
}

TEST(MockHostHttp, CapturesUrlHeadersAndTimeoutInOrder) {
  MockHost host(kProbe);
  host.respond_prefix(kBase, 200, "{}");
  host.render("probe", {{"op", "get"}, {"url", kBase + "/one"}});
  host.render("probe", {{"op", "get"}, {"url", kBase + "/two"}});
  host.render("probe", {{"op", "get"}, {"url", kBase + "/one"}});
  const auto reqs = host.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[1].url, kBase + "/two");
  EXPECT_EQ(reqs[0].header("ACCEPT").value_or(""), "application/json");
  EXPECT_EQ(reqs[0].timeout_ms, 1500u);
  EXPECT_EQ(host.requests_to(kBase + "/one"), 2u);
  host.clear_requests();
  EXPECT_TRUE(host.requests().empty());
}

TEST(MockHostHttp, DelayPastTheDeadlineIsATimeout) {
  MockHost host(kProbe);
  host.set_deadline_ms(100);
  host.answer(kBase + "/slow", VITRINE_MOCK_MATCH_EXACT, VITRINE_OK, 200, "late", "text/plain", {},
              {}, {}, 5000);
  const auto r = host.render("probe", {{"op", "get"}, {"url", kBase + "/slow"}});
  EXPECT_TRUE(r.contains("status=5 ")) << r;
  EXPECT_TRUE(r.contains("the request timeout or the render deadline came first")) << r;
  EXPECT_LT(r.elapsed_ms, 2000) << "the mock waits for the deadline, not for the delay";
}

TEST(MockHostHttp, WithheldCapabilityIsAbsent) {
  MockHost host(kProbe);
  host.offer(VITRINE_CAP_HTTP_V1, false);
  const auto r = host.render("probe", {{"op", "get"}, {"url", kBase + "/x"}});
  EXPECT_EQ(r.status, VITRINE_E_UNAVAILABLE) << r;
  EXPECT_THROW(host.offer("vitrine.nope/1", false), std::invalid_argument);
}

// --------------------------------------------- the render request

TEST(MockHostRequest, ContextReachesThePluginAsSet) {
  MockHost host(kProbe);
  host.set_grafana_base_url("https://acme.grafana.net");
  host.set_space("OPS");
  host.set_page("42");
  host.set_locale("de-DE");
  host.set_timezone("Europe/Berlin");
  host.set_theme("dark");
  host.set_now(1'700'000'000'000);
  host.set_deadline_ms(2500);
  host.set_time_range("now-2h", "now");
  const auto r = host.render("probe");
  ASSERT_EQ(r.status, VITRINE_OK) << r;
  EXPECT_EQ(r.html,
            "base=https://acme.grafana.net space=OPS page=42 locale=de-DE tz=Europe/Berlin "
            "theme=dark from=now-2h@1699992800000 to=now@1700000000000 now=1700000000000 "
            "deadline+2500");
  EXPECT_THROW(host.set_time_range("yesterday", "now"), std::invalid_argument);
}

TEST(MockHostRequest, DefaultsDescribeAHostWithNoNetwork) {
  MockHost host(kProbe);
  const auto r = host.render("probe");
  EXPECT_EQ(r.html.rfind("base=https://mock.grafana.invalid space=TEST page=1 locale=en-GB tz=UTC "
                         "theme=light from=now-6h@",
                         0),
            0u)
      << r;
  EXPECT_TRUE(r.contains("deadline+10000")) << r;
}

TEST(MockHostRequest, ParametersArriveTypedAsPluginHDeclares) {
  MockHost host(kProbe);
  const auto r = host.render("probe", {{"s", "text"},
                                       {"i", 42},
                                       {"b", true},
                                       {"e", Param::enumeration("firing")},
                                       {"l", Param::list({"a", "b"})},
                                       {"d", Param::duration("5m")},
                                       {"t", Param::time("2024-06-01T00:00:00Z", 1717200000000)},
                                       {"u", Param::uid("svc-checkout")},
                                       {"m", Param(std::string("fallback")).as_default()}});
  ASSERT_EQ(r.status, VITRINE_OK) << r;
  for (const std::string line :
       {"s:type=0,default=0,text=text,int=0,items=", "i:type=1,default=0,text=42,int=42,items=",
        "b:type=2,default=0,text=true,int=1,items=", "e:type=3,default=0,text=firing,int=0,items=",
        "l:type=4,default=0,text=a,b,int=0,items=a|b",
        "d:type=5,default=0,text=5m,int=300000,items=",
        "t:type=6,default=0,text=2024-06-01T00:00:00Z,int=1717200000000,items=",
        "u:type=7,default=0,text=svc-checkout,int=0,items=",
        "m:type=0,default=1,text=fallback,int=0,items="}) {
    EXPECT_TRUE(r.contains("\n" + line)) << line << "\n" << r.html;
  }
  EXPECT_EQ(vitrine_mock_host_param_duration(host.get(), "d", "five minutes"), VITRINE_E_INVALID);
  EXPECT_EQ(vitrine_mock_host_param_mark_default(host.get(), "absent"), VITRINE_E_NOT_FOUND);
}

// ------------------------------------------------- storage, license, log

TEST(MockHostCache, PutThenGetAndStaleAfterTtl) {
  MockHost host(kProbe);
  host.set_now(1'700'000'000'000);
  auto r = host.render("probe", {{"op", "cache"}, {"key", "k"}, {"value", "v1"}});
  EXPECT_TRUE(r.contains("miss status=3 reason=no cache entry for this key put=0")) << r;
  EXPECT_EQ(host.cache_value("k").value_or("<none>"), "v1");
  r = host.render("probe", {{"op", "cache"}, {"key", "k"}});
  EXPECT_TRUE(r.contains("hit=v1 stale=0 at=1700000000000")) << r;
  host.set_now(1'700'000'031'000);  // ttl 30 s passed: kept, marked stale
  r = host.render("probe", {{"op", "cache"}, {"key", "k"}});
  EXPECT_TRUE(r.contains("hit=v1 stale=1")) << r;
  host.cache_put("seeded", "from the test", 60, 1'700'000'000'000);
  r = host.render("probe", {{"op", "cache"}, {"key", "seeded"}});
  EXPECT_TRUE(r.contains("hit=from the test stale=0")) << r;
  r = host.render("probe", {{"op", "cache"}, {"key", std::string(513, 'k')}});
  EXPECT_TRUE(r.contains("miss status=1 reason=cache key must be 1 to 512 bytes")) << r;
  EXPECT_EQ(host.cache_size(), 2u);
}

TEST(MockHostAssets, ContentAddressedUrlAndBytesKept) {
  MockHost host(kProbe);
  auto r = host.render("probe", {{"op", "asset"}, {"type", "image/png"}});
  ASSERT_TRUE(r.contains("status=0 url=/")) << r;
  const size_t at = r.html.find("url=") + 4;
  const std::string url = r.html.substr(at, r.html.find(' ', at) - at);
  const auto again = host.render("probe", {{"op", "asset"}, {"type", "image/png"}});
  EXPECT_TRUE(again.contains("url=" + url + " ")) << "same bytes, same URL: " << again;
  ASSERT_EQ(host.asset_count(), 1u);
  const auto asset = host.asset(url);
  ASSERT_TRUE(asset.has_value());
  EXPECT_EQ(asset->data, std::string("\x89PNG\r\n\x1a\nprobe", 13));
  r = host.render("probe", {{"op", "asset"}, {"type", "text/html"}});
  EXPECT_TRUE(r.contains("status=1 url= reason=asset content type 'text/html' is not allowed"))
      << r;
}

TEST(MockHostLicense, FeaturesAreOffUntilTheTestSwitchesThemOn) {
  MockHost host(kProbe);
  EXPECT_TRUE(host.render("probe", {{"op", "license"}, {"feature", "pro"}})
                  .contains("status=0 licensed=0"));
  host.license("pro");
  EXPECT_TRUE(host.render("probe", {{"op", "license"}, {"feature", "pro"}})
                  .contains("status=0 licensed=1"));
  host.license("pro", false);
  EXPECT_TRUE(host.render("probe", {{"op", "license"}, {"feature", "pro"}})
                  .contains("status=0 licensed=0"));
  EXPECT_EQ(host.license_checks("pro"), 3u);
}

TEST(MockHostLog, LinesAreCapturedWithTheirLevel) {
  MockHost host(kProbe);
  host.render("probe", {{"op", "log"}});
  const auto logs = host.logs();
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].level, VITRINE_LOG_WARN);
  EXPECT_EQ(logs[0].text, "probe says hello");
}

// ------------------------------------------------- contract checks

TEST(MockHostContract, FailureWithoutReasonIsReportedAsAbi5Break) {
  MockHost host(kProbe);
  const auto r = host.render("probe", {{"op", "fail_silent"}});
  EXPECT_EQ(r.status, VITRINE_E_UPSTREAM);
  EXPECT_NE(r.violations.find("wrote no reason"), std::string::npos) << r;
  EXPECT_EQ(host.render("probe").violations, "");
}

TEST(MockHostContract, StatusOutsideTheSetIsReported) {
  MockHost host(kProbe);
  const auto r = host.render("probe", {{"op", "bad_status"}});
  EXPECT_EQ(r.status, 42);
  EXPECT_NE(r.violations.find("outside the ABI-5 set"), std::string::npos) << r;
}

TEST(MockHostContract, HandleKeptPastRenderIsReportedAndRefused) {
  MockHost host(kProbe);
  EXPECT_EQ(host.render("probe", {{"op", "keep_call"}}).violations, "");
  const auto r = host.render("probe", {{"op", "use_kept_call"}});
  EXPECT_NE(r.violations.find("vitrine.log/1 log() was called after render() returned (ABI-6)"),
            std::string::npos)
      << r;
  EXPECT_TRUE(host.logs().empty()) << "the late line is not logged";
}

TEST(MockHostContract, RenderPastTheDeadlineIsFlagged) {
  MockHost host(kProbe);
  host.set_deadline_ms(50);
  const auto r = host.render("probe", {{"op", "sleep"}, {"ms", 200}});
  EXPECT_EQ(r.status, VITRINE_OK);
  EXPECT_TRUE(r.deadline_exceeded);
  EXPECT_NE(r.violations.find("after the 50 ms deadline"), std::string::npos) << r;
}

}  // namespace
