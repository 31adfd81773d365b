// Limits on the Markdown structures that make cmark-gfm's work grow faster
// than the page: checked by one linear pass over the page BEFORE cmark sees
// it, so a hostile page costs a scan, never a superlinear parse.
//
// Measured with the cmark-gfm 0.29.0.gfm.6 this host links (docs/performance.md,
// "Markdown limits"): a table row's cells are split in time quadratic in the
// cells of that row, every short row of a table is padded to the header's
// width (a 1 KB header and 8 KB of one-character rows render 20 MB), the
// strikethrough extension matches `~` delimiters in time quadratic in their
// number within one paragraph, and a link reference definition is copied
// into the output at every use (11 KB of input wrote 2 MB). See
// docs/pages.md#limits.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vitrine::render {

// Why each default: far above what real documentation uses (the largest
// runbook tables seen have tens of columns and a few thousand cells) and low
// enough that the worst page within all of them renders in well under a
// second (docs/performance.md). None is configurable: a page that reaches one
// is better split than allowed.
struct MarkdownLimits {
  // The page file and the render API's request body are both capped at
  // 1 MiB; this covers every other caller (the static export reads files
  // directly).
  std::size_t max_bytes = 1u << 20;
  // Cells in one table row (header, delimiter or body row). 256 columns do
  // not fit any screen; the cost of a row grows with the square of this.
  std::size_t max_table_columns = 256;
  // Columns x rows of one table (short rows are padded to the header's
  // width): 100,000 cells is about 1 MB of HTML.
  std::size_t max_table_cells = 100'000;
  // Block quotes and list items opened on one line, and brackets open at
  // once in one paragraph. Real pages nest a handful deep.
  std::size_t max_nesting_depth = 32;
  // Link reference definitions on one page.
  std::size_t max_link_references = 10'000;
  // The longest reference definition times the number of ']' on the page: a
  // bound on the bytes reference links can write (each use copies the
  // definition). 16 MiB is 16x the largest page.
  std::size_t max_link_expansion_bytes = 16u << 20;
  // Emphasis delimiter runs (*, _ or ~ that can open or close) in one
  // paragraph: cost grows with the square of this per paragraph, so the
  // bound keeps the worst 1 MiB page near the cost of plain text. A table
  // counts per row (its cells are parsed one by one).
  std::size_t max_emphasis_runs = 2'000;

  // No limit at all: only for measuring the unbounded reference cost
  // (bench/markdown_bench.cpp). Never for a page a reader can send.
  static MarkdownLimits unlimited();
};

// What a page exceeds, where, and what to do:
//   "line 12: a table row has 1,204 columns; the limit is 256
//    [markdown-table-columns]; split the table into narrower tables"
struct LimitViolation {
  std::string rule;  // markdown-* (docs/pages.md#limits)
  int line = 0;      // 1-based line of the page file (front matter included)
  std::string message;
};

// One pass over the whole page (front matter included, as split_front_matter
// sees it); the first limit exceeded, or nothing. Allocates nothing per
// byte. Never throws (only std::bad_alloc for the message).
std::optional<LimitViolation> check_markdown_limits(std::string_view page,
                                                    const MarkdownLimits& limits = {});

// The reader's notice for a page over a limit: an escaped alert box naming
// the line and the rule, shown instead of the page.
std::string limit_notice_html(const LimitViolation& violation);

}  // namespace vitrine::render
