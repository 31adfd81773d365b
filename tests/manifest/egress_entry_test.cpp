// Egress address rules, one row per form an attacker or a hurried author
// might write. The manifest checker is the first of the egress checks: what
// passes here is what the egress policy later matches against.
#include <gtest/gtest.h>

#include "manifest/detail.h"

using namespace vitrine::manifest;
using detail::check_egress_address;

namespace {

struct Row {
  const char* address;
  const char* rule;  // empty: accepted
};

const Row kRows[] = {
    {"https://grafana.example.com", ""},
    {"https://grafana.example.com/", ""},
    {"https://*.grafana.net", ""},
    {"https://*.grafana.net:8443", ""},
    {"https://xn--mnchen-3ya.de", ""},
    {"https://a.b-c.example.org:1", ""},
    {"https://grafana.example.com:65535", ""},
    {"http://grafana.example.com", "egress-scheme"},
    {"grafana.example.com", "egress-scheme"},
    {"wss://grafana.example.com", "egress-scheme"},
    {"//grafana.example.com", "egress-scheme"},
    {"HTTPS://grafana.example.com", "egress-case"},
    {"https://GRAFANA.example.com", "egress-case"},
    {"https://bücher.example", "egress-non-ascii"},
    {"https://user@grafana.example.com", "egress-userinfo"},
    {"https://user:pw@grafana.example.com", "egress-userinfo"},
    {"https://grafana.example.com?x=1", "egress-query-fragment"},
    {"https://grafana.example.com/#top", "egress-query-fragment"},
    {"https://grafana.example.com/api", "egress-path"},
    {"https://grafana.example.com//", "egress-path"},
    {"https://grafana.example.com:", "egress-port"},
    {"https://grafana.example.com:00443", "egress-port"},
    {"https://grafana.example.com:70000", "egress-port"},
    {"https://grafana.example.com:99999999999999999999", "egress-port"},
    {"https://grafana.example.com:-1", "egress-port"},
    {"https://*", "egress-wildcard-position"},
    {"https://*grafana.net", "egress-wildcard-position"},
    {"https://a.*.grafana.net", "egress-wildcard-position"},
    {"https://grafana.net.*", "egress-wildcard-position"},
    {"https://**.grafana.net", "egress-wildcard-position"},
    {"https://127.0.0.1", "egress-ip-literal"},
    {"https://2130706433", "egress-ip-literal"},
    {"https://0x7f000001", "egress-ip-literal"},
    {"https://0x7f.1", "egress-ip-literal"},
    {"https://017700000001", "egress-ip-literal"},
    {"https://127.1", "egress-ip-literal"},
    {"https://10.0.0.1.", "egress-ip-literal"},
    {"https://[::1]", "egress-ip-literal"},
    {"https://[::ffff:127.0.0.1]:443", "egress-ip-literal"},
    {"https://*.0.0.1", "egress-ip-literal"},
    {"https://a..example.com", "egress-label"},
    {"https://.example.com", "egress-label"},
    {"https://example.com.", "egress-label"},
    {"https://a_b.example.com", "egress-label"},
    {"https://a-.example.com", "egress-label"},
    {"https://-a.example.com", "egress-label"},
    {"https://", "egress-label"},
    {"https://:443", "egress-label"},
    {"https://*.net", "egress-public-suffix"},
    {"https://*.co.uk", "egress-public-suffix"},
    {"https://*.github.io", "egress-public-suffix"},
    {"https://*.s3.amazonaws.com", "egress-public-suffix"},
    {"https://com", "egress-public-suffix"},
    {"https://co.uk", "egress-public-suffix"},
    {"https://localhost", "egress-public-suffix"},
    {"https://*.localhost", "egress-public-suffix"},
    {"https://grafana.example.com\\@evil.com", "egress-syntax"},
    {"https://grafana%2eexample.com", "egress-syntax"},
    {"https://grafana.example.com\t", "egress-syntax"},
    {"", "egress-syntax"},
};

class EgressAddress : public testing::TestWithParam<Row> {};

TEST_P(EgressAddress, FirstRuleMatches) {
  const Row& row = GetParam();
  detail::Reporter report("m.yml");
  auto entry = check_egress_address(row.address, Position{3, 11}, report);
  auto diags = report.take_sorted();
  if (std::string(row.rule).empty()) {
    EXPECT_TRUE(entry.has_value()) << row.address;
    EXPECT_TRUE(diags.empty()) << row.address << ": " << (diags.empty() ? "" : format(diags[0]));
  } else {
    EXPECT_FALSE(entry.has_value()) << row.address;
    ASSERT_FALSE(diags.empty()) << row.address;
    EXPECT_EQ(diags[0].rule, row.rule) << row.address << ": " << format(diags[0]);
    EXPECT_EQ(diags[0].pos.line, 3);
  }
}

INSTANTIATE_TEST_SUITE_P(Rows, EgressAddress, testing::ValuesIn(kRows),
                         [](const testing::TestParamInfo<Row>& info) {
                           return "row" + std::to_string(info.index);
                         });

TEST(EgressAddressParse, WildcardPortAndHost) {
  detail::Reporter report("m.yml");
  auto e = check_egress_address("https://*.grafana.net:8443/", Position{1, 1}, report);
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->wildcard);
  EXPECT_EQ(e->host, "grafana.net");
  EXPECT_EQ(e->port, 8443);
  EXPECT_EQ(e->text, "https://*.grafana.net:8443/");
}

TEST(EgressAddressParse, SuggestionsNameTheFix) {
  detail::Reporter report("m.yml");
  check_egress_address("https://Grafana.Example.COM", Position{1, 1}, report);
  check_egress_address("https://grafana.münchen.de", Position{2, 1}, report);
  check_egress_address("https://*.net", Position{3, 1}, report);
  auto d = report.take_sorted();
  ASSERT_EQ(d.size(), 3u);
  EXPECT_NE(d[0].message.find("https://grafana.example.com"), std::string::npos) << d[0].message;
  EXPECT_NE(d[1].message.find("https://grafana.xn--mnchen-3ya.de"), std::string::npos)
      << d[1].message;
  EXPECT_NE(d[2].message.find("https://*.grafana.net"), std::string::npos) << d[2].message;
}

TEST(Punycode, MatchesKnownALabels) {
  EXPECT_EQ(detail::to_a_label("bücher"), "xn--bcher-kva");
  EXPECT_EQ(detail::to_a_label("münchen"), "xn--mnchen-3ya");
  EXPECT_EQ(detail::to_a_label("例え"), "xn--r8jz45g");
  EXPECT_EQ(detail::to_a_label("ascii"), "ascii");
  EXPECT_EQ(detail::to_a_label("\xff"), "");
}

TEST(EditDistance, CountsTranspositionsAsOneEdit) {
  EXPECT_EQ(detail::edit_distance("titel", "title"), 1u);
  EXPECT_EQ(detail::edit_distance("", "abc"), 3u);
  EXPECT_EQ(detail::edit_distance("integr", "integer"), 1u);
  EXPECT_EQ(detail::closest("permisions", {"plugin", "permissions"}), "permissions");
  EXPECT_EQ(detail::closest("zzz", {"plugin", "macros"}), "");
}

}  // namespace
