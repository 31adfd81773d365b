// Page model tests: Markdown with macro blocks (docs/pages.md).
#include "render/page.h"

#include <gtest/gtest.h>

#include <string>

namespace vitrine::render {
namespace {

const std::set<std::string> kKeys = {"dashboard", "alert-list", "alert-badge",
                                     "annotation-timeline", "panel-image"};

TEST(Page, MacrosExtractedWithParamsAndLines) {
  const std::string md =
      "# Payments runbook\n"         // 1
      "\n"                           // 2
      "```alert-list\n"              // 3
      "labels: team=\"payments\"\n"  // 4
      "states: [firing, pending]\n"  // 5
      "max_items: 20\n"              // 6
      "```\n"                        // 7
      "\n"                           // 8
      "Some text.\n"                 // 9
      "\n"                           // 10
      "~~~dashboard\n"               // 11
      "dashboard: abc123\n"          // 12
      "variant: compact\n"           // 13
      "~~~\n";
  const ParsedPage page = parse_page(md, kKeys);
  ASSERT_EQ(page.macros.size(), 2u);
  const auto& a = page.macros[0];
  EXPECT_EQ(a.index, 0u);
  EXPECT_EQ(a.key, "alert-list");
  EXPECT_EQ(a.line, 3);
  EXPECT_FALSE(a.error.has_value());
  EXPECT_EQ(a.params.at("labels"), "team=\"payments\"");
  EXPECT_EQ(a.params.at("states"), "firing,pending");
  EXPECT_EQ(a.params.at("max_items"), "20");
  const auto& d = page.macros[1];
  EXPECT_EQ(d.index, 1u);
  EXPECT_EQ(d.key, "dashboard");
  EXPECT_EQ(d.line, 11);
  EXPECT_EQ(d.params.at("variant"), "compact");
  ASSERT_EQ(page.segments.size(), 3u);
  EXPECT_NE(page.segments[0].find("<h1>Payments runbook</h1>"), std::string::npos);
  EXPECT_NE(page.html.find(macro_placeholder(0)), std::string::npos);
  EXPECT_NE(page.html.find(macro_placeholder(1)), std::string::npos);
}

TEST(Page, UnknownFenceStaysCodeBlock) {
  const ParsedPage page =
      parse_page("```yaml\nkey: value\n```\n\n```alert-lists\nx: 1\n```\n", kKeys);
  EXPECT_TRUE(page.macros.empty());
  EXPECT_NE(page.html.find("<pre><code class=\"language-yaml\">key: value\n</code></pre>"),
            std::string::npos);
  EXPECT_NE(page.html.find("language-alert-lists"), std::string::npos);
  EXPECT_EQ(page.segments.size(), 1u);
}

TEST(Page, IndentedCodeIsNeverAMacro) {
  const ParsedPage page = parse_page("    alert-list\n    x: 1\n", kKeys);
  EXPECT_TRUE(page.macros.empty());
}

TEST(Page, RawHtmlInMarkdownIsNeutralized) {
  const std::string md =
      "<script>alert(1)</script>\n\n"
      "Inline <img src=x onerror=alert(1)> and <b onclick=x>bold</b>.\n\n"
      "[link](javascript:alert(1)) and <https://ok.example/>\n\n"
      "| a | b |\n|---|---|\n| <script>x</script> | ~~old~~ |\n\n"
      "- [x] done\n";
  const ParsedPage page = parse_page(md, kKeys);
  EXPECT_EQ(page.html.find("<script"), std::string::npos) << page.html;
  EXPECT_EQ(page.html.find("<img"), std::string::npos) << page.html;
  EXPECT_EQ(page.html.find("onclick"), std::string::npos) << page.html;
  EXPECT_EQ(page.html.find("javascript:"), std::string::npos) << page.html;
  // GFM extensions are on: table, strikethrough, autolink, task list.
  EXPECT_NE(page.html.find("<table>"), std::string::npos);
  EXPECT_NE(page.html.find("<del>old</del>"), std::string::npos);
  EXPECT_NE(page.html.find("<a href=\"https://ok.example/\">"), std::string::npos);
  EXPECT_NE(page.html.find("checkbox"), std::string::npos);
}

TEST(Page, PlaceholdersCannotBeForgedFromPageText) {
  const std::string forged = "<div data-vitrine-macro=\"0\"></div>";
  const std::string md = forged + "\n\ntext " + forged + " `" + forged + "`\n\n[x](" + forged +
                         ")\n\n```alert-list\n```\n\n" + forged + "\n";
  const ParsedPage page = parse_page(md, kKeys);
  ASSERT_EQ(page.macros.size(), 1u);
  ASSERT_EQ(page.segments.size(), 2u);
  size_t count = 0;
  for (size_t pos = page.html.find(forged); pos != std::string::npos;
       pos = page.html.find(forged, pos + 1))
    ++count;
  EXPECT_EQ(count, 1u) << page.html;
  const std::string out = assemble(page, {"<p>MACRO</p>"});
  EXPECT_EQ(out.find("<div data-vitrine-macro"), std::string::npos) << out;
  size_t macros = 0;
  for (size_t pos = out.find("MACRO"); pos != std::string::npos; pos = out.find("MACRO", pos + 1))
    ++macros;
  EXPECT_EQ(macros, 1u);
}

TEST(Page, AssembleSubstitutesInOrder) {
  const ParsedPage page =
      parse_page("A\n\n```dashboard\ndashboard: a\n```\n\nB\n\n```panel-image\n```\n\nC\n", kKeys);
  ASSERT_EQ(page.macros.size(), 2u);
  const std::string out = assemble(page, {"<i>one</i>", "<i>two</i>"});
  const size_t a = out.find("<p>A</p>"), one = out.find("<i>one</i>"), b = out.find("<p>B</p>"),
               two = out.find("<i>two</i>"), c = out.find("<p>C</p>");
  ASSERT_NE(c, std::string::npos);
  EXPECT_LT(a, one);
  EXPECT_LT(one, b);
  EXPECT_LT(b, two);
  EXPECT_LT(two, c);
  // Missing entries are written as nothing.
  EXPECT_EQ(assemble(page, {}).find("<i>"), std::string::npos);
}

TEST(Page, MacroInsideListAndQuote) {
  const ParsedPage page = parse_page(
      "- item\n\n  ```dashboard\n  dashboard: a\n  ```\n\n> ```alert-badge\n> folder: x\n> ```\n",
      kKeys);
  ASSERT_EQ(page.macros.size(), 2u);
  EXPECT_EQ(page.macros[0].params.at("dashboard"), "a");
  EXPECT_EQ(page.macros[1].params.at("folder"), "x");
  EXPECT_EQ(page.macros[1].line, 7);
}

TEST(Page, BadYamlGivesPageLineAndColumn) {
  const std::string md =
      "Intro\n"            // 1
      "\n"                 // 2
      "```alert-list\n"    // 3
      "labels: ok\n"       // 4
      "states: [firing\n"  // 5
      "```\n";
  const ParsedPage page = parse_page(md, kKeys);
  ASSERT_EQ(page.macros.size(), 1u);
  ASSERT_TRUE(page.macros[0].error.has_value());
  EXPECT_GE(page.macros[0].error->line, 5);
  EXPECT_TRUE(page.macros[0].params.empty());
  EXPECT_EQ(page.segments.size(), 2u);  // the page still renders around it
}

TEST(Page, NonScalarValueIsAnErrorAtItsPosition) {
  const ParsedPage page = parse_page("```dashboard\ndashboard: a\nvariant:\n  x: 1\n```\n", kKeys);
  ASSERT_TRUE(page.macros[0].error.has_value());
  EXPECT_EQ(page.macros[0].error->line, 4);
  EXPECT_EQ(page.macros[0].error->column, 3);
  EXPECT_EQ(page.macros[0].error->text().substr(0, 4), "4:3:");
}

TEST(Page, ParamErrors) {
  auto error_of = [](const std::string& body) {
    const ParsedPage p = parse_page("```dashboard\n" + body + "```\n", kKeys);
    return p.macros.at(0).error ? p.macros[0].error->message : std::string();
  };
  EXPECT_NE(error_of("- a\n- b\n"), "");                  // not a map
  EXPECT_NE(error_of("a: 1\na: 2\n"), "");                // duplicate
  EXPECT_NE(error_of("a: [[1]]\n"), "");                  // nested list
  EXPECT_NE(error_of("a: ['x,y', z]\n"), "");             // comma inside a list item
  EXPECT_NE(error_of("\"bad name\": 1\n"), "");           // name
  EXPECT_EQ(error_of("a: \"quoted: value\"\nb:\n"), "");  // scalar and null are fine
  const ParsedPage extra = parse_page("```dashboard extra\n```\n", kKeys);
  EXPECT_TRUE(extra.macros.at(0).error.has_value());
}

TEST(Page, ZeroMacros) {
  const ParsedPage page = parse_page("# Title\n\nJust *text*.\n", kKeys);
  EXPECT_TRUE(page.macros.empty());
  ASSERT_EQ(page.segments.size(), 1u);
  EXPECT_EQ(assemble(page, {}), page.html);
  EXPECT_EQ(page.html, "<h1>Title</h1>\n<p>Just <em>text</em>.</p>\n");
}

TEST(Page, FrontMatterTitleAndLinesKept) {
  const std::string md =
      "---\n"
      "title: Payments runbook\n"
      "owner: team-payments\n"
      "---\n"
      "```dashboard\n"  // line 5
      "dashboard: a\n"
      "```\n";
  const ParsedPage page = parse_page(md, kKeys);
  ASSERT_TRUE(page.title.has_value());
  EXPECT_EQ(*page.title, "Payments runbook");
  ASSERT_EQ(page.warnings.size(), 1u);
  EXPECT_EQ(page.warnings[0].line, 3);
  ASSERT_EQ(page.macros.size(), 1u);
  EXPECT_EQ(page.macros[0].line, 5);
  EXPECT_EQ(page.html.find("owner"), std::string::npos);
}

TEST(Page, TooManyMacrosBecomeErrors) {
  std::string md;
  for (size_t i = 0; i < kMaxMacros + 3; ++i) md += "```panel-image\n```\n\n";
  const ParsedPage page = parse_page(md, kKeys);
  ASSERT_EQ(page.macros.size(), kMaxMacros + 3);
  EXPECT_FALSE(page.macros[kMaxMacros - 1].error.has_value());
  EXPECT_TRUE(page.macros[kMaxMacros].error.has_value());
  EXPECT_EQ(page.segments.size(), kMaxMacros + 4);
}

TEST(Page, OneMegabytePageCompletes) {
  std::string md;
  int i = 0;
  // Up to the page size limit (MarkdownLimits::max_bytes), with room for
  // the last iteration.
  while (md.size() + 256 < (1u << 20)) {
    md += "## Section " + std::to_string(i) +
          "\n\nSome *text* with `code` and a [link](https://x.example/" + std::to_string(i) +
          ").\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n";
    if (i++ % 50 == 0) md += "```alert-list\nlabels: team=\"t\"\n```\n\n";
  }
  const ParsedPage page = parse_page(md, kKeys);
  EXPECT_GT(page.macros.size(), 10u);
  EXPECT_EQ(page.segments.size(), page.macros.size() + 1);
}

}  // namespace
}  // namespace vitrine::render
