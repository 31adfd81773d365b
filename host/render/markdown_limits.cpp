#include "render/markdown_limits.h"

#include <algorithm>
#include <limits>

#include "render/html_escape.h"

namespace vitrine::render {
namespace {

// The rules (docs/rules.md is generated from this table; docs/pages.md#limits
// explains each).
struct RuleRow {
  const char* id;
  const char* meaning;
};
enum Rule { kSize, kTableColumns, kTableCells, kNesting, kLinkReferences, kLinkExpansion, kRuns };
constexpr RuleRow kRules[] = {
    {"markdown-size", "the page is larger than 1 MiB"},
    {"markdown-table-columns", "a table row has more than 256 cells"},
    {"markdown-table-cells", "a table has more than 100,000 cells (columns x rows)"},
    {"markdown-nesting-depth",
     "over 32 quotes and list items on a line or brackets open in a paragraph"},
    {"markdown-link-references", "the page has more than 10,000 link reference definitions"},
    {"markdown-link-expansion", "reference links could write more than 16 MiB of HTML"},
    {"markdown-emphasis-runs",
     "a paragraph (or table row) has more than 2,000 emphasis delimiter runs (*, _, ~)"},
};

// 1234567 -> "1,234,567": limits and counts are read by people.
std::string grouped(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

LimitViolation violation(Rule rule, int line, const std::string& what, std::size_t limit,
                         const char* todo) {
  const char* id = kRules[rule].id;
  return LimitViolation{id, line,
                        "line " + grouped(static_cast<std::size_t>(line)) + ": " + what +
                            "; the limit is " + grouped(limit) + " [" + id + "]; " + todo};
}

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }
// ASCII punctuation, as CommonMark's flanking rules use it (bytes >= 0x80
// count as letters here; for *, ~ and _ alike that can only count more runs
// than cmark, never fewer).
bool is_punct(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
         (c >= 123 && c <= 126);
}
bool is_alnum(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// A run of `c` between `before` and `after` (' ' at a line edge) that the
// inline parser pushes as a delimiter: one that can open or close. `_`
// between two letters or digits (snake_case) cannot.
bool is_delimiter_run(char c, char before, char after) {
  const bool left = !is_ws(after) && (!is_punct(after) || is_ws(before) || is_punct(before));
  const bool right = !is_ws(before) && (!is_punct(before) || is_ws(after) || is_punct(after));
  if (c == '_' && is_alnum(before) && is_alnum(after)) return false;
  return left || right;
}

// "---", "* * *", "___": a thematic break (or setext underline), whose
// markers are not list items and which holds no inline text.
bool is_thematic_break(std::string_view rest) {
  if (rest.empty() || (rest[0] != '-' && rest[0] != '*' && rest[0] != '_')) return false;
  std::size_t marks = 0;
  for (char c : rest) {
    if (c == rest[0]) {
      ++marks;
    } else if (!is_ws(c)) {
      return false;
    }
  }
  return marks >= 3;
}

// Anything cmark might take for a table's delimiter row: only '|', '-',
// ':' and blanks, with at least one '-'. Wider than cmark's own test on
// purpose: it only decides where the cell limits apply.
bool is_delimiter_like(std::string_view rest) {
  bool dash = false;
  for (char c : rest) {
    if (c == '-') {
      dash = true;
    } else if (c != '|' && c != ':' && !is_ws(c)) {
      return false;
    }
  }
  return dash;
}

// Exactly cmark-gfm's delimiter row with at least one '|':
// [|]? ws* :? -+ :? ws* ([|] ws* :? -+ :? ws*)* [|]? ws*
bool is_strict_delimiter(std::string_view rest) {
  std::size_t i = 0, cells = 0;
  bool pipe = false;
  if (i < rest.size() && rest[i] == '|') ++i, pipe = true;
  while (true) {
    while (i < rest.size() && is_ws(rest[i])) ++i;
    if (i == rest.size()) return pipe && cells > 0;
    if (rest[i] == ':') ++i;
    std::size_t dashes = 0;
    while (i < rest.size() && rest[i] == '-') ++i, ++dashes;
    if (dashes == 0) return false;
    if (i < rest.size() && rest[i] == ':') ++i;
    while (i < rest.size() && is_ws(rest[i])) ++i;
    ++cells;
    if (i == rest.size()) return pipe;
    if (rest[i] != '|') return false;
    ++i;
    pipe = true;
  }
}

// Cells of a table row as cmark splits it: at each '|' not escaped by a
// backslash, a leading and a trailing '|' opening and closing the row.
std::size_t cells_of(std::string_view rest) {
  std::size_t pipes = 0;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '\\') {
      ++i;
    } else if (rest[i] == '|') {
      ++pipes;
    }
  }
  if (pipes == 0) return 1;
  std::size_t end = rest.size();
  while (end > 0 && is_ws(rest[end - 1])) --end;
  std::size_t cells = pipes + 1;
  if (rest[0] == '|') --cells;
  if (end > 1 && rest[end - 1] == '|' && !(end >= 2 && rest[end - 2] == '\\')) --cells;
  return std::max<std::size_t>(cells, 1);
}

bool starts_block(std::string_view rest) {
  return rest.starts_with("```") || rest.starts_with("~~~") || rest.starts_with("<") ||
         rest.starts_with("#");
}

// "# Title" .. "###### Title": its own inline text; ends a paragraph.
bool is_atx_heading(std::string_view content) {
  std::size_t n = 0;
  while (n < content.size() && content[n] == '#') ++n;
  return n >= 1 && n <= 6 && (n == content.size() || is_ws(content[n]));
}

class Scanner {
 public:
  explicit Scanner(const MarkdownLimits& limits) : lim_(limits) {}

  std::optional<LimitViolation> line(std::string_view s, int n) {
    // Container prefix: block quote markers and blanks, then list markers.
    std::size_t q = 0, quotes = 0, prefix_ws = 0;
    while (q < s.size() && (is_ws(s[q]) || s[q] == '>')) {
      if (s[q] == '>') {
        ++quotes;
      } else {
        prefix_ws += s[q] == '\t' ? 4 : 1;  // a tab reaches the next multiple of 4
      }
      ++q;
    }
    const std::string_view rest = s.substr(q);
    if (rest.empty()) {
      blank_line();
      return std::nullopt;
    }
    const bool thematic = is_thematic_break(rest);
    std::size_t p = 0, lists = 0;
    while (!thematic) {
      std::size_t k = p;
      if (k < rest.size() && (rest[k] == '-' || rest[k] == '+' || rest[k] == '*')) {
        ++k;
      } else {
        const std::size_t first = k;
        while (k < rest.size() && k - first < 9 && rest[k] >= '0' && rest[k] <= '9') ++k;
        if (k == first || k >= rest.size() || (rest[k] != '.' && rest[k] != ')')) break;
        ++k;
      }
      if (k >= rest.size() || !is_ws(rest[k])) break;
      ++lists;
      p = k;
      while (p < rest.size() && (is_ws(rest[p]) || rest[p] == '>')) {
        if (rest[p] == '>') ++quotes;
        ++p;
      }
    }
    if (quotes + lists > lim_.max_nesting_depth) {
      return violation(
          kNesting, n,
          "block quotes and list items are nested " + grouped(quotes + lists) + " deep on one line",
          lim_.max_nesting_depth, "flatten the structure");
    }
    const std::string_view content = rest.substr(p);

    if (auto v = table_line(rest, n, quotes, lists, prefix_ws, thematic)) return v;
    if (auto v = reference_line(content, n)) return v;

    // Indented 4 or more, "# x" continues a paragraph instead of ending it.
    const bool heading = lists == 0 && prefix_ws <= 3 + quotes && is_atx_heading(content);
    if (heading) new_block(n);
    if (strict_) {
      // A table row: its cells are parsed one by one.
      runs_ = 0;
      depth_ = 0;
    }
    if (!thematic) {
      if (auto v = inline_text(content, n)) return v;
    }
    if (heading) new_block(n + 1);
    prev_blank_ = false;
    prev_first_in_block_ = block_lines_ == 0;
    ++block_lines_;
    prev_cells_ = cells_of(rest);
    prev_quotes_ = quotes;
    prev_plain_ = lists == 0 && prefix_ws <= 3 + quotes && !starts_block(rest) && !thematic;
    return std::nullopt;
  }

  std::optional<LimitViolation> finish() const {
    if (max_def_len_ > 0 && closes_ > 0 && max_def_len_ > lim_.max_link_expansion_bytes / closes_) {
      return violation(
          kLinkExpansion, max_def_line_,
          "a link reference definition of " + grouped(max_def_len_) +
              " bytes may be copied to each of " + grouped(closes_) + " link uses (up to " +
              grouped(max_def_len_ * closes_) + " bytes of HTML)",
          lim_.max_link_expansion_bytes, "shorten the definition or write the links inline");
    }
    return std::nullopt;
  }

 private:
  void blank_line() {
    new_block(0);
    region_ = false;
    strict_ = false;
    def_open_ = false;
    prev_blank_ = true;
    block_lines_ = 0;
  }

  void new_block(int first_line) {
    runs_ = 0;
    depth_ = 0;
    block_line_ = first_line;
  }

  std::optional<LimitViolation> table_line(std::string_view rest, int n, std::size_t quotes,
                                           std::size_t lists, std::size_t prefix_ws,
                                           bool thematic) {
    const std::size_t cells = cells_of(rest);
    if (region_) {
      if (strict_ && (quotes != region_quotes_ || lists > 0 || thematic || starts_block(rest))) {
        // The table ends here; count what follows as the paragraph the
        // table's rows would be if it never was one.
        strict_ = false;
        runs_ = region_runs_;
      }
    } else if (!prev_blank_ && block_lines_ > 0 && is_delimiter_like(rest)) {
      if (prev_cells_ > lim_.max_table_columns) return columns(n - 1, prev_cells_);
      region_ = true;
      region_line_ = n - 1;
      region_columns_ = cells;
      region_rows_ = 0;  // the header row is counted below with the others
      region_runs_ = 0;
      region_quotes_ = quotes;
      strict_ = prev_plain_ && prev_first_in_block_ && lists == 0 && prev_quotes_ == quotes &&
                prefix_ws <= 3 + quotes && prev_cells_ == cells && is_strict_delimiter(rest);
    }
    if (!region_) return std::nullopt;
    if (cells > lim_.max_table_columns) return columns(n, cells);
    ++region_rows_;  // header and body rows (the delimiter row stands in for the header)
    if (region_columns_ * region_rows_ > lim_.max_table_cells) {
      return violation(kTableCells, n,
                       "the table that starts on line " +
                           grouped(static_cast<std::size_t>(region_line_)) + " reaches " +
                           grouped(region_columns_ * region_rows_) + " cells (" +
                           grouped(region_columns_) + " columns x " + grouped(region_rows_) +
                           " rows; shorter rows are padded)",
                       lim_.max_table_cells, "split the table");
    }
    return std::nullopt;
  }

  LimitViolation columns(int n, std::size_t cells) const {
    return violation(kTableColumns, n, "a table row has " + grouped(cells) + " columns",
                     lim_.max_table_columns, "split the table into narrower tables");
  }

  std::optional<LimitViolation> reference_line(std::string_view content, int n) {
    // A definition's destination and title may follow on the next lines of
    // its paragraph, so the whole paragraph from the '[' line is counted.
    if (!content.empty() && content[0] == '[') {
      const bool definition = content.find("]:") != std::string_view::npos;
      if (definition && ++references_ > lim_.max_link_references) {
        return violation(kLinkReferences, n,
                         "the page has more than " + grouped(lim_.max_link_references) +
                             " link reference definitions",
                         lim_.max_link_references, "split the page");
      }
      def_open_ = true;
      def_colon_ = definition;
      def_len_ = 0;
      def_line_ = n;
    } else if (def_open_ && content.find("]:") != std::string_view::npos) {
      def_colon_ = true;  // a label that continues on this line
    }
    if (def_open_) {
      def_len_ += content.size() + 1;
      if (def_colon_ && def_len_ > max_def_len_) {
        max_def_len_ = def_len_;
        max_def_line_ = def_line_;
      }
    }
    return std::nullopt;
  }

  std::optional<LimitViolation> inline_text(std::string_view text, int n) {
    if (block_line_ == 0) block_line_ = n;
    for (std::size_t k = 0; k < text.size();) {
      const char c = text[k];
      if (c == '\\' && k + 1 < text.size() && is_punct(text[k + 1])) {
        k += 2;
      } else if (c == '[') {
        if (++depth_ > lim_.max_nesting_depth) {
          return violation(
              kNesting, n,
              "more than " + grouped(lim_.max_nesting_depth) + " brackets are open at once",
              lim_.max_nesting_depth, "close the brackets or escape them as \\[");
        }
        ++k;
      } else if (c == ']') {
        if (depth_ > 0) --depth_;
        ++closes_;
        ++k;
      } else if (c == '*' || c == '_' || c == '~') {
        std::size_t e = k;
        while (e < text.size() && text[e] == c) ++e;
        const char before = k == 0 ? ' ' : text[k - 1];
        const char after = e == text.size() ? ' ' : text[e];
        if (is_delimiter_run(c, before, after)) {
          if (auto v = count_run(n)) return v;
        }
        k = e;
      } else {
        ++k;
      }
    }
    return std::nullopt;
  }

  std::optional<LimitViolation> count_run(int n) {
    ++runs_;
    // A table's rows count one by one, and all of them together against a
    // higher bound: if cmark does not see the table this page's checker
    // does, the rows are one paragraph and this bounds its cost.
    const std::size_t table_bound =
        lim_.max_emphasis_runs > std::numeric_limits<std::size_t>::max() / 4
            ? lim_.max_emphasis_runs
            : lim_.max_emphasis_runs * 4;
    if (strict_ && ++region_runs_ > table_bound) {
      return violation(kRuns, n,
                       "the table that starts on line " +
                           grouped(static_cast<std::size_t>(region_line_)) + " has more than " +
                           grouped(table_bound) + " emphasis delimiter runs (*, _ or ~)",
                       table_bound, "split the table");
    }
    if (runs_ > lim_.max_emphasis_runs) {
      return violation(
          kRuns, n,
          std::string(strict_ ? "a table row" : "the paragraph") + " that starts on line " +
              grouped(static_cast<std::size_t>(strict_ ? n : block_line_)) + " has more than " +
              grouped(lim_.max_emphasis_runs) + " emphasis delimiter runs (*, _ or ~)",
          lim_.max_emphasis_runs, "split the paragraph with a blank line");
    }
    return std::nullopt;
  }

  const MarkdownLimits& lim_;
  // The current paragraph (lines since the last blank line or heading).
  std::size_t runs_ = 0, depth_ = 0, block_lines_ = 0;
  int block_line_ = 0;
  // The previous line, as a possible table header.
  bool prev_blank_ = true, prev_first_in_block_ = false, prev_plain_ = false;
  std::size_t prev_cells_ = 0, prev_quotes_ = 0;
  // The table (or what may be one) the current line is in: region_ until a
  // blank line; strict_ while it is surely a table cmark parses row by row.
  bool region_ = false, strict_ = false;
  int region_line_ = 0;
  std::size_t region_columns_ = 0, region_rows_ = 0, region_runs_ = 0, region_quotes_ = 0;
  // Link reference definitions and possible uses.
  std::size_t references_ = 0, closes_ = 0, def_len_ = 0, max_def_len_ = 0;
  bool def_open_ = false, def_colon_ = false;
  int def_line_ = 0, max_def_line_ = 0;
};

// The line at `pos` up to '\n' (a trailing '\r' dropped), as
// split_front_matter reads front matter.
std::string_view lf_line(std::string_view s, std::size_t pos, std::size_t* next) {
  std::size_t end = s.find('\n', pos);
  *next = end == std::string_view::npos ? s.size() : end + 1;
  if (end == std::string_view::npos) end = s.size();
  std::string_view line = s.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Where the Markdown body starts (after a closed front matter block) and its
// first line number.
std::size_t body_start(std::string_view page, int* first_line) {
  *first_line = 1;
  std::size_t next = 0;
  if (lf_line(page, 0, &next) != "---") return 0;
  int lines = 1;
  for (std::size_t pos = next; pos < page.size(); pos = next) {
    const std::string_view line = lf_line(page, pos, &next);
    ++lines;
    if (line == "---" || line == "...") {
      *first_line = lines + 1;
      return next;
    }
  }
  return 0;
}

}  // namespace

MarkdownLimits MarkdownLimits::unlimited() {
  constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  return MarkdownLimits{kNone, kNone, kNone, kNone, kNone, kNone, kNone};
}

std::optional<LimitViolation> check_markdown_limits(std::string_view page,
                                                    const MarkdownLimits& limits) {
  if (page.size() > limits.max_bytes) {
    const auto at = static_cast<std::ptrdiff_t>(limits.max_bytes);
    const int line = 1 + static_cast<int>(std::count(page.begin(), page.begin() + at, '\n'));
    return violation(
        kSize, line,
        "the page is " + grouped(page.size()) + " bytes and passes the limit on this line",
        limits.max_bytes, "split the page");
  }
  int n = 0;
  std::size_t pos = body_start(page, &n);
  Scanner scanner(limits);
  // Lines end at "\n", "\r\n" or "\r", as cmark splits them.
  while (pos < page.size()) {
    std::size_t end = pos;
    while (end < page.size() && page[end] != '\n' && page[end] != '\r') ++end;
    if (auto v = scanner.line(page.substr(pos, end - pos), n)) return v;
    ++n;
    if (end < page.size() && page[end] == '\r' && end + 1 < page.size() && page[end + 1] == '\n')
      ++end;
    pos = end + 1;
  }
  return scanner.finish();
}

std::string limit_notice_html(const LimitViolation& v) {
  return "<div class=\"vitrine-error vitrine-page-limit\" role=\"alert\" data-rule=\"" +
         escape_html(v.rule) + "\"><strong>This page is not shown.</strong> " +
         escape_html(v.message) + "</div>\n";
}

}  // namespace vitrine::render
