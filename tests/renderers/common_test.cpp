// Unit tests of plugins/common, linked directly.
#include <gtest/gtest.h>

#include "vitrine_plugin/html.h"
#include "vitrine_plugin/params.h"
#include "vitrine_plugin/timefmt.h"
#include "vitrine_plugin/url.h"

namespace vitrine::pc {
namespace {

TEST(PluginCommon, EscapesTextAndAttributes) {
  EXPECT_EQ(esc("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(esc_attr("\" onload=\"x"), "&quot; onload=&quot;x");
}

TEST(PluginCommon, OnlyHttpLinksAreSafe) {
  EXPECT_TRUE(is_safe_link("https://runbooks.example.com/a?b=c"));
  EXPECT_TRUE(is_safe_link("http://wiki/x"));
  for (const char* bad :
       {"javascript:alert(1)", " https://x", "JAVASCRIPT:alert(1)", "data:text/html,x",
        "https://x\"onmouseover=1", "//evil", "https://", "vbscript:x", "/relative"}) {
    EXPECT_FALSE(is_safe_link(bad)) << bad;
  }
}

TEST(PluginCommon, FormatsTimesInUtcFixedOffsetsAndIanaZones) {
  const int64_t t = 1795948920000;  // 2026-11-29T10:42:00Z
  EXPECT_EQ(format_time(t, resolve_zone("UTC")), "2026-11-29 10:42 UTC");
  EXPECT_EQ(format_time(t, resolve_zone("utc")), "2026-11-29 10:42 UTC");
  EXPECT_EQ(format_time(t, resolve_zone("browser")), "2026-11-29 10:42 UTC");
  EXPECT_EQ(format_time(t, resolve_zone("+02:00")), "2026-11-29 12:42 +02:00");
  EXPECT_EQ(format_time(t, resolve_zone("UTC-0530")), "2026-11-29 05:12 -05:30");
  EXPECT_EQ(format_time(t, resolve_zone("Europe/Berlin")), "2026-11-29 11:42 CET");
  EXPECT_EQ(format_time(t, resolve_zone("America/New_York")), "2026-11-29 05:42 EST");
  const Zone bad = resolve_zone("../../etc/passwd");
  EXPECT_EQ(bad.kind, Zone::Kind::kUtc);
  EXPECT_FALSE(bad.fallback.empty());
  EXPECT_EQ(format_time(t, bad), "2026-11-29 10:42 UTC");
  EXPECT_EQ(format_time(-1000, resolve_zone("UTC")), "1969-12-31 23:59 UTC");
}

TEST(PluginCommon, ParsesRfc3339) {
  EXPECT_EQ(parse_rfc3339_ms("2024-06-03T09:12:00Z"), 1717405920000);
  EXPECT_EQ(parse_rfc3339_ms("2024-06-03T10:00:00.123Z"), 1717408800123);
  EXPECT_EQ(parse_rfc3339_ms("2024-06-03T11:12:00+02:00"), 1717405920000);
  EXPECT_TRUE(parse_rfc3339_ms("0001-01-01T00:00:00Z").has_value());
  EXPECT_TRUE(is_zero_time("0001-01-01T00:00:00Z"));
  for (const char* bad : {"", "2024-06-03", "2024-13-03T00:00:00Z", "2024-06-03T09:12:00",
                          "2024-06-03T09:12:00+2", "yesterday"}) {
    EXPECT_FALSE(parse_rfc3339_ms(bad).has_value()) << bad;
  }
}

TEST(PluginCommon, BuildsUrlsWithPercentEncoding) {
  Query q;
  q.add("tags", "a b&c=d").add("limit", 5).add("var-x", "ü/?");
  EXPECT_EQ(api_url("https://g.example/", "/api/annotations", q),
            "https://g.example/api/annotations?tags=a%20b%26c%3Dd&limit=5&var-x=%C3%BC%2F%3F");
  EXPECT_EQ(pct("../x"), "..%2Fx");
}

TEST(PluginCommon, ParsesOrigins) {
  const auto a = parse_origin("https://ACME.grafana.net/d/x?y=1#z");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "acme.grafana.net");
  EXPECT_EQ(a->port, 443);
  EXPECT_EQ(a->path, "/d/x");
  EXPECT_EQ(a->query, "y=1");
  EXPECT_TRUE(same_origin(*a, *parse_origin("https://acme.grafana.net:443")));
  EXPECT_FALSE(parse_origin("https://u@h/"));
  EXPECT_FALSE(parse_origin("ftp://h/"));
  EXPECT_FALSE(parse_origin("https://h:99999/"));
  EXPECT_FALSE(parse_origin("https://h /"));
}

TEST(P4_TokensStayInTheHost, SecretShapesAreRecognised) {
  EXPECT_TRUE(looks_like_secret("glsa_AbCdEfGhIjKlMnOpQrStUvWxYz012345_1a2b3c4d"));
  EXPECT_TRUE(looks_like_secret("x GLSA_abc"));
  EXPECT_TRUE(looks_like_secret("Bearer abc"));
  EXPECT_TRUE(looks_like_secret("eyJrIjoiabc"));
  EXPECT_FALSE(looks_like_secret("svc-checkout"));
  EXPECT_FALSE(looks_like_secret("team=\"payments\""));
  EXPECT_FALSE(looks_like_secret("https://acme.grafana.net/d/abc"));
}

}  // namespace
}  // namespace vitrine::pc
