#include "render/page.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>

#include <memory>
#include <mutex>

#include "render/front_matter.h"
#include "render/macro_params.h"

namespace vitrine::render {
namespace {

// The GFM extensions a page may use. Footnotes and raw HTML stay off.
constexpr const char* kExtensions[] = {"table", "strikethrough", "autolink", "tasklist"};

// CMARK_OPT_DEFAULT without CMARK_OPT_UNSAFE: raw HTML blocks and inline
// HTML are replaced by "<!-- raw HTML omitted -->" and javascript:, vbscript:,
// file: and most data: link destinations are emptied by cmark itself.
constexpr int kOptions = CMARK_OPT_DEFAULT;

void register_extensions() {
  static std::once_flag once;
  std::call_once(once, [] { cmark_gfm_core_extensions_ensure_registered(); });
}

struct ParserDeleter {
  void operator()(cmark_parser* p) const { cmark_parser_free(p); }
};
struct NodeDeleter {
  void operator()(cmark_node* n) const { cmark_node_free(n); }
};
struct IterDeleter {
  void operator()(cmark_iter* i) const { cmark_iter_free(i); }
};

std::string first_word(std::string_view info, std::string_view* rest) {
  size_t start = 0;
  while (start < info.size() && (info[start] == ' ' || info[start] == '\t')) ++start;
  size_t end = start;
  while (end < info.size() && info[end] != ' ' && info[end] != '\t') ++end;
  size_t after = end;
  while (after < info.size() && (info[after] == ' ' || info[after] == '\t' || info[after] == '\n'))
    ++after;
  *rest = info.substr(after);
  return std::string(info.substr(start, end - start));
}

}  // namespace

std::string PageError::text() const {
  return std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::string macro_placeholder(size_t index) {
  return "<div data-vitrine-macro=\"" + std::to_string(index) + "\"></div>";
}

ParsedPage parse_page(std::string_view markdown, const std::set<std::string>& known_macro_keys,
                      const MarkdownLimits& limits) {
  register_extensions();
  ParsedPage page;
  // Before cmark: its cost on some structures grows faster than the page.
  if (auto violation = check_markdown_limits(markdown, limits)) {
    page.html = limit_notice_html(*violation);
    page.segments.push_back(page.html);
    page.over_limit = std::move(violation);
    return page;
  }
  FrontMatter fm = split_front_matter(markdown);
  page.title = std::move(fm.title);
  page.warnings = std::move(fm.warnings);

  std::unique_ptr<cmark_parser, ParserDeleter> parser(cmark_parser_new(kOptions));
  for (const char* name : kExtensions)
    if (cmark_syntax_extension* ext = cmark_find_syntax_extension(name))
      cmark_parser_attach_syntax_extension(parser.get(), ext);
  cmark_parser_feed(parser.get(), fm.body.data(), fm.body.size());
  std::unique_ptr<cmark_node, NodeDeleter> doc(cmark_parser_finish(parser.get()));

  // Collect first, replace after: the tree must not change under the iterator.
  std::vector<cmark_node*> blocks;
  {
    std::unique_ptr<cmark_iter, IterDeleter> iter(cmark_iter_new(doc.get()));
    cmark_event_type ev;
    while ((ev = cmark_iter_next(iter.get())) != CMARK_EVENT_DONE) {
      cmark_node* node = cmark_iter_get_node(iter.get());
      if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(node) != CMARK_NODE_CODE_BLOCK) continue;
      int fence_length = 0, fence_offset = 0;  // written unconditionally by cmark
      char fence_char = 0;
      if (!cmark_node_get_fenced(node, &fence_length, &fence_offset, &fence_char)) continue;
      const char* info = cmark_node_get_fence_info(node);
      std::string_view rest;
      if (info && known_macro_keys.count(first_word(info, &rest))) blocks.push_back(node);
    }
  }

  for (cmark_node* node : blocks) {
    MacroInvocation macro;
    macro.index = page.macros.size();
    std::string_view rest;
    macro.key = first_word(cmark_node_get_fence_info(node), &rest);
    macro.line = cmark_node_get_start_line(node);
    const int column = cmark_node_get_start_column(node);
    const char* literal = cmark_node_get_literal(node);
    if (macro.index >= kMaxMacros) {
      macro.error =
          PageError{macro.line, column, "more than 256 macros on one page; split the page"};
    } else if (!rest.empty()) {
      macro.error = PageError{macro.line, column,
                              "unexpected text after the macro key '" + macro.key +
                                  "'; parameters go on the lines inside the block"};
    } else {
      MacroParams params =
          parse_macro_params(literal ? literal : "", macro.line + 1, column > 0 ? column - 1 : 0);
      macro.params = std::move(params.params);
      macro.error = std::move(params.error);
    }
    // A custom block's on_enter text is written verbatim by the HTML
    // renderer: the only way a placeholder gets into the output.
    cmark_node* placeholder = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
    cmark_node_set_on_enter(placeholder, macro_placeholder(macro.index).c_str());
    cmark_node_replace(node, placeholder);
    cmark_node_free(node);
    page.macros.push_back(std::move(macro));
  }

  char* html =
      cmark_render_html(doc.get(), kOptions, cmark_parser_get_syntax_extensions(parser.get()));
  page.html = html ? html : "";
  cmark_get_default_mem_allocator()->free(html);

  // Split at the placeholders, in order. Page text cannot contain one (raw
  // HTML is omitted and '<' in text is escaped), so each is found exactly
  // where the renderer wrote it.
  size_t pos = 0;
  for (const auto& macro : page.macros) {
    const std::string marker = macro_placeholder(macro.index);
    const size_t at = page.html.find(marker, pos);
    if (at == std::string::npos) break;
    page.segments.push_back(page.html.substr(pos, at - pos));
    pos = at + marker.size();
  }
  page.segments.push_back(page.html.substr(pos));
  return page;
}

std::string assemble(const ParsedPage& page, const std::vector<std::string_view>& macro_html) {
  std::string out;
  size_t size = 0;
  for (const auto& s : page.segments) size += s.size();
  for (const auto& h : macro_html) size += h.size();
  out.reserve(size);
  for (size_t i = 0; i < page.segments.size(); ++i) {
    if (i > 0 && i - 1 < macro_html.size()) out += macro_html[i - 1];
    out += page.segments[i];
  }
  return out;
}

}  // namespace vitrine::render
