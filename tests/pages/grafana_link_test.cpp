// The link converter (docs/editing.md): real Grafana URL shapes become the
// macro block that shows them; everything else is refused with its rule.
#include "pages/grafana_link.h"

#include <gtest/gtest.h>

#include <set>

#include "manifest/manifest.h"
#include "plugins/params.h"
#include "render/page.h"

namespace vitrine::pages {
namespace {

constexpr std::string_view kOrigin = "https://grafana.example.com";

struct Good {
  std::string url;
  std::string block;
  std::size_t notes = 0;
};

// The bundled manifest that declares `key`.
const manifest::Macro& bundled_macro(const std::string& key) {
  static const manifest::CheckResult dashboard =
      manifest::check_file(std::string(VITRINE_MANIFESTS_DIR) + "/dashboard.yml");
  static const manifest::CheckResult panel =
      manifest::check_file(std::string(VITRINE_MANIFESTS_DIR) + "/panel_image.yml");
  const manifest::CheckResult& m = key == "dashboard" ? dashboard : panel;
  EXPECT_TRUE(m.ok());
  return m.manifest->macros.front();
}

// Every block the converter writes must read back, through the page parser
// that renders it, as exactly the parameters it was built from; and those
// must bind against the bundled plugin's manifest as rendering binds them.
void expect_parses_back(const MacroBlock& block) {
  const render::ParsedPage page =
      render::parse_page("# t\n\n" + block.text() + "\n", {"dashboard", "panel-image"});
  ASSERT_EQ(page.macros.size(), 1u);
  EXPECT_FALSE(page.macros[0].error.has_value()) << page.macros[0].error->text();
  EXPECT_EQ(page.macros[0].key, block.key);
  EXPECT_EQ(page.macros[0].params.size(), block.params.size());
  for (const auto& [name, value] : block.params) {
    const auto it = page.macros[0].params.find(name);
    ASSERT_NE(it, page.macros[0].params.end()) << name;
    EXPECT_EQ(it->second, value) << name;
  }
  const manifest::Macro& macro = bundled_macro(block.key);
  ASSERT_EQ(macro.key, block.key);
  plugins::BoundParams bound;
  const auto err = plugins::bind_params(macro, page.macros[0].params, 1700000000000, bound);
  EXPECT_FALSE(err.has_value()) << err->param << ": " << err->rule << ": " << err->message;
}

TEST(GrafanaLink, LinkShapesConvertToTheirMacro) {
  const std::vector<Good> cases = {
      {"https://grafana.example.com/d/abc123/payments-overview",
       "```dashboard\ndashboard: abc123\n```"},
      {"https://grafana.example.com/d/abc123", "```dashboard\ndashboard: abc123\n```"},
      {"https://grafana.example.com/d/abc123/payments-overview/",
       "```dashboard\ndashboard: abc123\n```"},
      {"https://grafana.example.com/d/000000012/node?orgId=1&from=now-6h&to=now&refresh=30s",
       "```dashboard\ndashboard: \"000000012\"\n```", 4},
      {"https://grafana.example.com/grafana/d/abc123/payments",
       "```dashboard\ndashboard: abc123\n```"},
      {"https://GRAFANA.example.com:443/d/abc123/x", "```dashboard\ndashboard: abc123\n```"},
      {"https://grafana.example.com/d/abc123/x?var-env=prod",
       "```dashboard\ndashboard: abc123\n```", 1},
      {"https://grafana.example.com/d/abc123/x?var-q=a%26b&var-a.b=1&var-q=c",
       "```dashboard\ndashboard: abc123\n```", 1},
      {"https://grafana.example.com/d/true/x", "```dashboard\ndashboard: \"true\"\n```"},
      {"https://grafana.example.com/d/Null/x", "```dashboard\ndashboard: \"Null\"\n```"},
      {"https://grafana.example.com/d/1e3/x", "```dashboard\ndashboard: \"1e3\"\n```"},
      {"https://grafana.example.com/d/abc123/x#top", "```dashboard\ndashboard: abc123\n```", 1},
      {"https://grafana.example.com/d/abc123/payments?orgId=1&viewPanel=4&from=now-6h&to=now",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 4\nfrom: now-6h\nto: now\n```", 1},
      {"https://grafana.example.com/d/abc123/payments?viewPanel=panel-4",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 4\n```"},
      {"https://grafana.example.com/d/abc123/payments?editPanel=7",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 7\n```"},
      {"https://grafana.example.com/d-solo/abc123/payments?orgId=1&panelId=2&from=1700000000000&"
       "to=1700003600000&theme=dark&tz=Europe%2FBerlin",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 2\ntheme: dark\ntimezone: "
       "Europe/Berlin\nfrom: \"2023-11-14T22:13:20Z\"\nto: \"2023-11-14T23:13:20Z\"\n```",
       1},
      {"https://grafana.example.com/d-solo/abc123/payments?panelId=panel-12&timezone=browser",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 12\ntimezone: browser\n```"},
      {"https://grafana.example.com/d-solo/abc123/p?panelId=2&tz=UTC",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 2\ntimezone: utc\n```"},
      {"https://grafana.example.com/grafana/render/d-solo/abc123/p?panelId=3&width=1000&"
       "height=500&from=now-24h&to=now",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 3\nwidth: 1000\nheight: 500\nfrom: "
       "now-24h\nto: now\n```"},
      {"https://grafana.example.com/d/abc123/p?viewPanel=4&var-env=prod&var-region=eu&"
       "var-region=us",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 4\nvariables: "
       "\"env=prod&region=eu&region=us\"\n```"},
      {"https://grafana.example.com/d/abc123/p?viewPanel=4&var-service=api%20gateway&"
       "var-q=a|b&var-all=$__all&var-city=M%C3%BCnchen&var-x=a+b",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 4\nvariables: \"service=api "
       "gateway&q=a|b&all=$__all&city=M\xC3\xBCnchen&x=a b\"\n```"},
      {"https://grafana.example.com/d/abc123/p?viewPanel=4&from=2024-05-01T00:00:00Z&to=now",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 4\nfrom: \"2024-05-01T00:00:00Z\"\nto: "
       "now\n```"},
      {"https://grafana.example.com/d/abc123/p?viewPanel=4&from=2024-05-01T00:00:00.123Z&"
       "to=2024-05-01T06:00:00.000Z",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 4\nfrom: \"2024-05-01T00:00:00.123Z\"\n"
       "to: \"2024-05-01T06:00:00.000Z\"\n```"},
      {"https://grafana.example.com/d/abc123/p?viewPanel=4&from=1700000000123&to=now-5m",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 4\nfrom: \"2023-11-14T22:13:20.123Z\"\n"
       "to: now-5m\n```"},
      // Grafana's rounded ranges and calendar offsets (date_math.h) are kept
      // as written: the macro reads them with the same grammar.
      {"https://grafana.example.com/d/abc123/p?viewPanel=4&from=now%2Fd&to=now%2Fd",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 4\nfrom: now/d\nto: now/d\n```"},
      {"https://grafana.example.com/d/abc123/p?viewPanel=4&from=now-1d%2Fd&to=now-1d%2Fd",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 4\nfrom: now-1d/d\nto: now-1d/d\n```"},
      {"https://grafana.example.com/d/abc123/p?viewPanel=4&from=now-1y&to=now-1M%2FM",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 4\nfrom: now-1y\nto: now-1M/M\n```"},
      {"https://grafana.example.com/d/abc123/p?viewPanel=4&from=now-200000h&to=now",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 4\nfrom: now-200000h\nto: now\n```"},
      {"https://grafana.example.com/d/abc123/p?viewPanel=4&from=2024-05-01&"
       "to=2024-05-01T06:00:00%2B02:00",
       "```panel-image\ndashboard_uid: abc123\npanel_id: 4\nfrom: \"2024-05-01\"\nto: "
       "\"2024-05-01T06:00:00+02:00\"\n```"},
  };
  for (const Good& c : cases) {
    SCOPED_TRACE(c.url);
    const LinkResult r = convert_grafana_link(c.url, kOrigin);
    ASSERT_TRUE(r.ok) << r.rule << ": " << r.message;
    EXPECT_EQ(r.block.text(), c.block);
    EXPECT_EQ(r.notes.size(), c.notes);
    expect_parses_back(r.block);
  }
}

TEST(GrafanaLink, LinkShapesOnAnOriginWithAPort) {
  const LinkResult r = convert_grafana_link("https://grafana.example.com:8443/d/abc/x",
                                            "https://grafana.example.com:8443");
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.block.key, "dashboard");
}

struct Bad {
  std::string url;
  std::string rule;
};

void expect_refused(const std::vector<Bad>& cases, std::string_view origin = kOrigin) {
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.url);
    const LinkResult r = convert_grafana_link(c.url, origin);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.rule, c.rule) << r.message;
    EXPECT_FALSE(r.message.empty());
  }
}

TEST(GrafanaLink, LinkSpaceNotConnected) {
  expect_refused({{"https://grafana.example.com/d/abc", "link-space-not-connected"}}, "");
}

TEST(GrafanaLink, LinkNotGrafana) {
  expect_refused({
      {"javascript:alert(1)", "link-not-grafana"},
      {"ftp://grafana.example.com/d/abc", "link-not-grafana"},
      {"grafana.example.com/d/abc", "link-not-grafana"},
      {"https://grafana.example.com/d/../admin/d/abc", "link-not-grafana"},
      {"https://grafana.example.com//d/abc", "link-not-grafana"},
  });
}

TEST(GrafanaLink, LinkOtherOrigin) {
  expect_refused({
      {"https://other.example.com/d/abc/x", "link-other-origin"},
      {"http://grafana.example.com/d/abc/x", "link-other-origin"},
      {"https://grafana.example.com:8443/d/abc/x", "link-other-origin"},
      {"https://grafana.example.com@evil.example/d/abc/x", "link-other-origin"},
      {"https://grafana.example.com.evil.example/d/abc/x", "link-other-origin"},
      {"https://evil.example\\@grafana.example.com/d/abc/x", "link-other-origin"},
      {"https://10.0.0.5:3000/d/abc/x", "link-other-origin"},
  });
}

TEST(GrafanaLink, LinkUnknownShape) {
  expect_refused({
      {"https://grafana.example.com/", "link-unknown-shape"},
      {"https://grafana.example.com/explore?left=%7B%7D", "link-unknown-shape"},
      {"https://grafana.example.com/goto/abcdEFG?orgId=1", "link-unknown-shape"},
      {"https://grafana.example.com/alerting/list", "link-unknown-shape"},
      {"https://grafana.example.com/dashboards/f/folder/", "link-unknown-shape"},
      {"https://grafana.example.com/d/abc/x/extra/more", "link-unknown-shape"},
      {"https://grafana.example.com/d/d/x", "link-unknown-shape"},
      {"https://grafana.example.com/render/d/abc/x?width=1000", "link-unknown-shape"},
      {"https://grafana.example.com/d/" + std::string(41, 'a') + "/x", "link-unknown-shape"},
      {"https://grafana.example.com/d/ab%2Bc/x", "link-unknown-shape"},
  });
}

TEST(GrafanaLink, LinkBadPanel) {
  expect_refused({
      {"https://grafana.example.com/d/abc/x?viewPanel=abc", "link-bad-panel"},
      {"https://grafana.example.com/d/abc/x?viewPanel=0", "link-bad-panel"},
      {"https://grafana.example.com/d/abc/x?viewPanel=04", "link-bad-panel"},
      {"https://grafana.example.com/d/abc/x?viewPanel=panel-4-clone-1", "link-bad-panel"},
      {"https://grafana.example.com/d/abc/x?viewPanel=99999999999", "link-bad-panel"},
      {"https://grafana.example.com/d/abc/x?viewPanel=", "link-bad-panel"},
      {"https://grafana.example.com/d-solo/abc/x?orgId=1", "link-bad-panel"},
      {"https://grafana.example.com/d-solo/abc/x?viewPanel=4", "link-bad-panel"},
  });
}

TEST(GrafanaLink, LinkUnsafeValue) {
  expect_refused({
      {"https://grafana.example.com/d/abc/x?viewPanel=4&var-a=x%0A```", "link-unsafe-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&var-a=x%0D", "link-unsafe-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&var-a=%22quoted%22", "link-unsafe-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&var-a=it's", "link-unsafe-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&var-a=%5C", "link-unsafe-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&var-a=%60%60%60", "link-unsafe-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&var-a=~~~", "link-unsafe-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&var-a=%FF", "link-unsafe-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&var-a=\"x\"", "link-unsafe-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&var-a%0A=1", "link-unsafe-value"},
      {"https://grafana.example.com/d/abc/x\n```", "link-unsafe-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4 x", "link-unsafe-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&from=`now`", "link-unsafe-value"},
  });
}

TEST(GrafanaLink, LinkBadValue) {
  expect_refused({
      {"https://grafana.example.com/d/abc/x?viewPanel=4&from=yesterday", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&from=now%2Fq", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&from=now-1q", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&from=now-1", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&from=now-9999999999h", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&from=now%2Fd-1d%2Fd", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&from=2024-02-30", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&from=2024-05-01T24:00:00Z",
       "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&from=2024-05-01T00:00:00%2B2",
       "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&from=12345678901234567", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&from=now-6h&from=now-1h", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&viewPanel=5", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&theme=blue", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&tz=Mars%20Base", "link-bad-value"},
      {"https://grafana.example.com/d-solo/abc/x?panelId=4&width=50", "link-bad-value"},
      {"https://grafana.example.com/d-solo/abc/x?panelId=4&height=9000", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&var-a=x%26y", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&var-a.b=1", "link-bad-value"},
      {"https://grafana.example.com/d/abc/x?viewPanel=4&var-a=" + std::string(2100, 'v'),
       "link-bad-value"},
  });
}

// --- paste on its own line ---

TEST(GrafanaLinkLine, LinkLineConvertsOnlyThatLine) {
  const std::string before = "# Runbook\n\nSee:\n";
  const std::string after = "\nMore text with https://grafana.example.com/d/zzz inline.\n";
  const std::string doc = before + "https://grafana.example.com/d/abc/x?viewPanel=3  " + after;
  const LineResult r = convert_link_line(doc, 4, kOrigin);
  ASSERT_TRUE(r.ok) << r.rule << ": " << r.message;
  EXPECT_EQ(r.document, before + "```panel-image\ndashboard_uid: abc\npanel_id: 3\n```" + after);
}

// Whichever line is converted, the bytes before and after it are the
// document's own.
TEST(GrafanaLinkLine, LinkLineLeavesEveryOtherByteAlone) {
  const std::vector<std::string> lines = {
      "# T\r",   "https://grafana.example.com/d/a1",
      "",        "- item",
      "```yaml", "https://grafana.example.com/d/a2",
      "```",     "  https://grafana.example.com/d/a3?viewPanel=2",
      "text",    "https://grafana.example.com/d/a4"};
  std::string doc;
  std::vector<std::size_t> starts;
  for (const auto& l : lines) {
    starts.push_back(doc.size());
    doc += l + "\n";
  }
  std::size_t converted = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(i + 1);
    const LineResult r = convert_link_line(doc, i + 1, kOrigin);
    if (!r.ok) continue;
    ++converted;
    const std::string tail = doc.substr(starts[i] + lines[i].size());
    EXPECT_EQ(r.document.substr(0, starts[i]), doc.substr(0, starts[i]));
    ASSERT_GE(r.document.size(), tail.size());
    EXPECT_EQ(r.document.substr(r.document.size() - tail.size()), tail);
    EXPECT_EQ(r.document.substr(starts[i], 3), "```");
  }
  EXPECT_EQ(converted, 3u);  // lines 2, 8 and 10; line 6 is inside the yaml block
}

TEST(GrafanaLinkLine, LinkLineKeepsCrlfAndAngleBrackets) {
  const std::string doc = "a\r\n<https://grafana.example.com/d/abc/x>\r\nb\r\n";
  const LineResult r = convert_link_line(doc, 2, kOrigin);
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.document, "a\r\n```dashboard\r\ndashboard: abc\r\n```\r\nb\r\n");
}

TEST(GrafanaLinkLine, LinkLineLastLineWithoutNewline) {
  const std::string doc = "a\r\n   https://grafana.example.com/d/abc";
  const LineResult r = convert_link_line(doc, 2, kOrigin);
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.document, "a\r\n```dashboard\r\ndashboard: abc\r\n```");
}

TEST(GrafanaLinkLine, LinkLineInCodeBlock) {
  const std::string fenced = "```\nhttps://grafana.example.com/d/abc\n```\n";
  EXPECT_EQ(convert_link_line(fenced, 2, kOrigin).rule, "link-line-in-code-block");
  const std::string tilde = "~~~~ yaml\n~~~\nhttps://grafana.example.com/d/abc\n~~~~\n";
  EXPECT_EQ(convert_link_line(tilde, 3, kOrigin).rule, "link-line-in-code-block");
  const std::string indented = "text\n\n    https://grafana.example.com/d/abc\n";
  EXPECT_EQ(convert_link_line(indented, 3, kOrigin).rule, "link-line-in-code-block");
  // After the block closes, the same line converts.
  const std::string closed = "```\ncode\n```\nhttps://grafana.example.com/d/abc\n";
  EXPECT_TRUE(convert_link_line(closed, 4, kOrigin).ok);
}

TEST(GrafanaLinkLine, LinkLineNotAlone) {
  EXPECT_EQ(convert_link_line("see https://grafana.example.com/d/abc\n", 1, kOrigin).rule,
            "link-line-not-alone");
  EXPECT_EQ(convert_link_line("a\n\nb\n", 2, kOrigin).rule, "link-line-not-alone");
}

TEST(GrafanaLinkLine, LinkLineRange) {
  EXPECT_EQ(convert_link_line("a\n", 0, kOrigin).rule, "link-line-range");
  EXPECT_EQ(convert_link_line("a\n", 2, kOrigin).rule, "link-line-range");
  EXPECT_EQ(convert_link_line("a\nb", 5, kOrigin).rule, "link-line-range");
}

TEST(GrafanaLinkLine, LinkLineRefusalLeavesDocumentAlone) {
  const LineResult r = convert_link_line("https://other.example/d/abc\n", 1, kOrigin);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.rule, "link-other-origin");
  EXPECT_TRUE(r.document.empty());
}

}  // namespace
}  // namespace vitrine::pages
