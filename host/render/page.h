// Pages: Markdown (GitHub flavour: tables, strikethrough, autolinks, task
// lists) in which a macro is a fenced code block whose info string is a macro
// key and whose body is YAML parameters:
//
//   ```alert-list
//   labels: team="payments"
//   states: [firing, pending]
//   ```
//
// parse_page() finds the macros and renders the rest of the page to HTML with
// one placeholder per macro; assemble() puts each macro's (already
// sanitized) HTML in its place. Raw HTML written in the Markdown is never
// passed through (cmark's safe mode replaces it with a comment), which is
// also why page text cannot forge a placeholder. See docs/pages.md.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "render/markdown_limits.h"

namespace vitrine::render {

// A position in the page file (1-based) and what is wrong there.
struct PageError {
  int line = 0;
  int column = 0;
  std::string message;
  std::string text() const;  // "LINE:COL: message"
};

struct MacroInvocation {
  size_t index = 0;  // 0-based order in the page; the N of its placeholder
  std::string key;   // the macro key (first word of the fence's info string)
  // Parameters as written; a list of scalars is joined with ",".
  std::map<std::string, std::string> params;
  int line = 0;  // 1-based page line of the opening fence
  // Set when the parameters cannot be used (bad YAML, a nested map, ...).
  // The macro is not rendered; its placeholder gets an error box instead.
  std::optional<PageError> error;
};

struct ParsedPage {
  std::optional<std::string> title;  // front matter `title:`, when present
  std::vector<MacroInvocation> macros;
  std::vector<PageError> warnings;  // front matter problems (the page still renders)
  // The rendered page with one placeholder per macro (see macro_placeholder)
  // and the same HTML split at the placeholders: macros.size() + 1 parts.
  std::string html;
  std::vector<std::string> segments;
  // Set when the page exceeds a Markdown limit (markdown_limits.h): cmark
  // never saw it, there are no macros, and html (the one segment) is the
  // reader's notice naming the line and the rule.
  std::optional<LimitViolation> over_limit;
};

// Limits: a page may hold at most kMaxMacros macros (the rest become error
// entries) and a macro body at most kMaxMacroBodyBytes.
inline constexpr size_t kMaxMacros = 256;
inline constexpr size_t kMaxMacroBodyBytes = 64 * 1024;

// Never throws for any input (only std::bad_alloc can escape). The page is
// checked against `limits` first, in one linear pass; only a page within
// them is parsed.
ParsedPage parse_page(std::string_view markdown, const std::set<std::string>& known_macro_keys,
                      const MarkdownLimits& limits = {});

// Joins the page: segment 0, macro_html[0], segment 1, ... A missing entry
// (macro_html shorter than the macro list) is written as nothing; extra
// entries are ignored. macro_html must already be sanitized.
std::string assemble(const ParsedPage& page, const std::vector<std::string_view>& macro_html);

// The placeholder written for macro N: <div data-vitrine-macro="N"></div>.
std::string macro_placeholder(size_t index);

}  // namespace vitrine::render
