// libFuzzer target for the page parser (host/render/page.h) and its
// Markdown limits (host/render/markdown_limits.h): any page text a reader
// can send to the render API. Each input is parsed twice, with small limits
// (so short inputs reach every limit rule) and with the defaults, and
// invariants are checked:
//   - parse_page never throws, and a page over a limit is refused exactly
//     when check_markdown_limits says so, with a markdown-* rule, a line
//     within the page and a message naming the line and the rule;
//   - a refused page has no macros and one segment, the escaped notice;
//   - a parsed page has one segment more than macros, and assembling it
//     with each macro's own placeholder gives back its HTML.
// Run: scripts/fuzz.sh [seconds].
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "render/markdown_limits.h"
#include "render/page.h"

namespace render = vitrine::render;

namespace {

void check(std::string_view md, const render::MarkdownLimits& limits) {
  static const std::set<std::string> keys = {"dashboard", "alert-list", "a"};
  const auto violation = render::check_markdown_limits(md, limits);
  const render::ParsedPage page = render::parse_page(md, keys, limits);
  if (violation.has_value() != page.over_limit.has_value()) std::abort();
  if (violation) {
    const auto& v = *page.over_limit;
    if (v.rule != violation->rule || v.line != violation->line) std::abort();
    if (v.rule.rfind("markdown-", 0) != 0) std::abort();
    const auto lines =
        1 + std::count(md.begin(), md.end(), '\n') + std::count(md.begin(), md.end(), '\r');
    if (v.line < 1 || v.line > lines) std::abort();
    if (v.message.rfind("line ", 0) != 0) std::abort();
    if (v.message.find("[" + v.rule + "]") == std::string::npos) std::abort();
    if (!page.macros.empty() || page.segments.size() != 1) std::abort();
    if (page.html != render::limit_notice_html(v)) std::abort();
    if (page.html.find("<script") != std::string::npos) std::abort();
    return;
  }
  if (page.segments.size() != page.macros.size() + 1) std::abort();
  std::vector<std::string> placeholders;
  for (const auto& m : page.macros) placeholders.push_back(render::macro_placeholder(m.index));
  std::vector<std::string_view> views(placeholders.begin(), placeholders.end());
  if (render::assemble(page, views) != page.html) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view md(reinterpret_cast<const char*>(data), size);
  render::MarkdownLimits small;
  small.max_bytes = 16384;
  small.max_table_columns = 8;
  small.max_table_cells = 64;
  small.max_nesting_depth = 4;
  small.max_link_references = 8;
  small.max_link_expansion_bytes = 4096;
  small.max_emphasis_runs = 16;
  check(md, small);
  check(md, render::MarkdownLimits{});
  return 0;
}
