// Markdown limits (docs/pages.md#limits): for each rule, a page just under
// the limit renders and a page just over it is refused before cmark, with
// the rule id and the line. Test names are the rule ids.
#include "render/markdown_limits.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "render/page.h"

namespace vitrine::render {
namespace {

const std::set<std::string> kKeys = {"dashboard"};

// A table with `columns` columns, a header and `body_rows` rows.
std::string table(std::size_t columns, std::size_t body_rows, const std::string& cell = "x") {
  std::string header, delimiter, row;
  for (std::size_t c = 0; c < columns; ++c) {
    header += "| h" + std::to_string(c) + " ";
    delimiter += "|---";
    row += "| " + cell + " ";
  }
  std::string out = header + "|\n" + delimiter + "|\n";
  for (std::size_t r = 0; r < body_rows; ++r) out += row + "|\n";
  return out;
}

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// Renders (within limits): no violation, real cmark output.
void expect_renders(const std::string& md, const std::string& html_part) {
  const auto v = check_markdown_limits(md);
  EXPECT_FALSE(v.has_value()) << (v ? v->message : "");
  const ParsedPage page = parse_page(md, kKeys);
  EXPECT_FALSE(page.over_limit.has_value());
  EXPECT_NE(page.html.find(html_part), std::string::npos) << page.html.substr(0, 200);
}

// Refused: the rule and line, in the violation and in the reader's notice.
void expect_refused(const std::string& md, const std::string& rule, int line) {
  const auto v = check_markdown_limits(md);
  ASSERT_TRUE(v.has_value()) << "expected " << rule;
  EXPECT_EQ(v->rule, rule) << v->message;
  EXPECT_EQ(v->line, line) << v->message;
  EXPECT_EQ(v->message.rfind("line ", 0), 0u) << v->message;
  EXPECT_NE(v->message.find("[" + rule + "]"), std::string::npos) << v->message;
  const ParsedPage page = parse_page(md, kKeys);
  ASSERT_TRUE(page.over_limit.has_value());
  EXPECT_EQ(page.over_limit->rule, rule);
  EXPECT_TRUE(page.macros.empty());
  ASSERT_EQ(page.segments.size(), 1u);
  EXPECT_EQ(page.html, limit_notice_html(*v));
  EXPECT_NE(page.html.find("data-rule=\"" + rule + "\""), std::string::npos);
  EXPECT_EQ(page.html.find("<table>"), std::string::npos);
}

TEST(MarkdownLimits, TableColumns) {
  expect_renders(table(256, 2), "<th>h255</th>");
  expect_refused("# Wide\n\n" + table(257, 2), "markdown-table-columns", 3);
  // The header alone, and a body row wider than its (narrow) header: cmark
  // splits every row before it drops the extra cells.
  expect_refused("a|b\n-|-\n" + repeat("x|", 300) + "\n", "markdown-table-columns", 3);
  const auto v = check_markdown_limits(table(1204, 1));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->message,
            "line 1: a table row has 1,204 columns; the limit is 256 [markdown-table-columns]; "
            "split the table into narrower tables");
}

TEST(MarkdownLimits, TableColumnsWithAnyLineEnding) {
  std::string md = table(300, 1);
  for (char& c : md)
    if (c == '\n') c = '\r';
  expect_refused(md, "markdown-table-columns", 1);
}

TEST(MarkdownLimits, TableCells) {
  // Header + 9,999 rows of 10 columns: 100,000 cells.
  expect_renders(table(10, 9'999), "<td>x</td>");
  expect_refused(table(10, 10'000), "markdown-table-cells", 10'002);
  // Short rows count at the header's width (cmark pads them).
  expect_refused(table(250, 0) + repeat("x\n", 400), "markdown-table-cells", 2 + 400);
}

TEST(MarkdownLimits, NestingDepthOfBlocks) {
  expect_renders(repeat(">", 32) + " deep\n", "<blockquote>");
  expect_refused("text\n\n" + repeat("> ", 33) + "deep\n", "markdown-nesting-depth", 3);
  expect_refused(repeat("- ", 20) + repeat("> ", 13) + "x\n", "markdown-nesting-depth", 1);
  // A thematic break is not 40 list items.
  expect_renders(repeat("* ", 40) + "\n", "<hr />");
}

TEST(MarkdownLimits, NestingDepthOfBrackets) {
  expect_renders(repeat("[", 32) + "a" + repeat("]", 32) + "\n", "[[[");
  expect_refused("one\n" + repeat("[", 20) + "\n" + repeat("[", 13) + "\n",
                 "markdown-nesting-depth", 3);
  // A blank line ends the paragraph and its brackets.
  expect_renders(repeat("[", 20) + "\n\n" + repeat("[", 20) + "\n", "<p>");
  // Escaped brackets are text.
  expect_renders(repeat("\\[", 100) + "\n", "<p>");
}

TEST(MarkdownLimits, LinkReferences) {
  std::string defs;
  for (int i = 0; i < 10'000; ++i) defs += "[r" + std::to_string(i) + "]: /u\n";
  expect_renders(defs + "\n[r9999]\n", "href=\"/u\"");
  expect_refused(defs + "[extra]: /u\n", "markdown-link-references", 10'001);
}

TEST(MarkdownLimits, LinkExpansion) {
  // A 100 KB definition used 100 times may write 10 MB: allowed; used 200
  // times (20 MB) it is refused, naming the definition's line.
  const std::string def = "intro\n\n[a]: /" + repeat("x", 100'000) + "\n\n";
  expect_renders(def + repeat("[a] ", 100) + "\n", "href=\"/xxx");
  expect_refused(def + repeat("[a] ", 200) + "\n", "markdown-link-expansion", 3);
  // A definition whose destination is on the next line counts too.
  expect_refused("[a]:\n/" + repeat("x", 100'000) + "\n\n" + repeat("[a] ", 200) + "\n",
                 "markdown-link-expansion", 1);
}

TEST(MarkdownLimits, EmphasisRuns) {
  // "~~a " opens, "b~ " closes: 2,000 runs in one paragraph render.
  expect_renders(repeat("~~a ", 1'000) + "\n" + repeat("b~ ", 1'000) + "\n", "<p>");
  expect_refused("# T\n\n" + repeat("~~a ", 1'000) + "\n" + repeat("b~ ", 1'001) + "\n",
                 "markdown-emphasis-runs", 4);
  // Intraword underscores cannot open or close: not counted.
  expect_renders(repeat("snake_case_name ", 3'000) + "\n", "snake_case_name");
  // Each paragraph counts on its own.
  expect_renders(repeat(repeat("*a* ", 900) + "\n\n", 4), "<em>a</em>");
}

TEST(MarkdownLimits, EmphasisRunsCountPerTableRow) {
  // 900 rows x 8 runs: 7,200 runs, each row parsed on its own.
  expect_renders(table(2, 900, "**b** ~~s~~"), "<strong>b</strong>");
  // The same lines where cmark sees no table (the header is a list item's
  // paragraph, the delimiter a lazy line) are one paragraph: refused.
  std::string md = table(2, 900, "**b** ~~s~~");
  expect_refused("- " + md, "markdown-emphasis-runs", 253);  // row 251
}

// Lines that look like a new block but continue cmark's paragraph must not
// restart the count: an indented "# x" (4 spaces or a tab) is paragraph text,
// and a list item after a table ends the table (its lazy lines are one
// paragraph, not rows).
TEST(MarkdownLimits, EmphasisRunsCannotBeResetByLookAlikes) {
  const std::string runs = repeat("~~a ", 600) + "\n";
  expect_refused(repeat(runs + "    # x\n", 4), "markdown-emphasis-runs", 7);
  expect_refused(repeat(runs + "\t# x\n", 4), "markdown-emphasis-runs", 7);
  expect_renders(repeat(runs + "# x\n", 4), "<h1>x</h1>");
  expect_refused(table(2, 2) + "- " + repeat(runs, 4), "markdown-emphasis-runs", 8);
}

TEST(MarkdownLimits, Size) {
  const std::string line = repeat("a", 1023) + "\n";  // 1 KiB a line
  expect_renders(repeat(line, 1024), "<p>");
  expect_refused(repeat(line, 1024) + "b", "markdown-size", 1025);
}

// Nothing is lost: the line is the page file's line, front matter included,
// and a page within every limit renders exactly as without limits.
TEST(MarkdownLimits, ErrorNamesThePageFileLine) {
  const std::string md = "---\ntitle: Wide\n---\n# Wide\n\ntext\n\n" + table(300, 1);
  expect_refused(md, "markdown-table-columns", 8);
  const std::string ok = "---\ntitle: Ok\n---\n# Ok\n\n" + table(20, 20) + "\n~~gone~~ *a*\n";
  EXPECT_EQ(parse_page(ok, kKeys).html, parse_page(ok, kKeys, MarkdownLimits::unlimited()).html);
  EXPECT_FALSE(check_markdown_limits(ok).has_value());
}

TEST(MarkdownLimits, UnlimitedRendersWhatTheLimitsRefuse) {
  const std::string md = table(300, 1);
  const ParsedPage page = parse_page(md, kKeys, MarkdownLimits::unlimited());
  EXPECT_FALSE(page.over_limit.has_value());
  EXPECT_NE(page.html.find("<th>h299</th>"), std::string::npos);
}

TEST(MarkdownLimits, NoticeIsEscaped) {
  LimitViolation v{"markdown-size", 1, "line 1: <script>x</script>"};
  const std::string html = limit_notice_html(v);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
}

}  // namespace
}  // namespace vitrine::render
