#include "render/html_budget.h"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "render/sanitizer_rules.h"

namespace vitrine::render {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Elements that never hold children (not pushed).
constexpr std::array<std::string_view, 14> kVoid = {"area",  "base",   "br",    "col",  "embed",
                                                    "hr",    "img",    "input", "link", "meta",
                                                    "param", "source", "track", "wbr"};
// Formatting elements: the parser keeps them in the list of active formatting
// elements and recreates them when they were closed implicitly.
constexpr std::array<std::string_view, 14> kFormatting = {
    "a",    "b", "big",   "code",   "em",     "font", "i",
    "nobr", "s", "small", "strike", "strong", "tt",   "u"};
// Elements whose content the tokenizer does not parse as tags (in HTML).
constexpr std::array<std::string_view, 10> kRawText = {
    "iframe", "noembed", "noframes", "noscript", "plaintext",
    "script", "style",   "textarea", "title",    "xmp"};
// Names that may be self-closing in SVG (`<rect/>` really closes there).
constexpr std::array<std::string_view, 16> kSvgSelfClosing = {
    "circle", "clippath", "defs",     "desc", "ellipse", "g",    "line",  "lineargradient",
    "path",   "polygon",  "polyline", "rect", "stop",    "text", "title", "tspan"};

template <size_t N>
bool in(const std::array<std::string_view, N>& set, std::string_view name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

size_t find_ci(std::string_view hay, std::string_view needle, size_t from) {
  if (needle.empty() || hay.size() < needle.size()) return std::string_view::npos;
  for (size_t i = from; i + needle.size() <= hay.size(); ++i) {
    bool match = true;
    for (size_t k = 0; k < needle.size() && match; ++k) match = lower(hay[i + k]) == needle[k];
    if (match) return i;
  }
  return std::string_view::npos;
}

struct Tag {
  std::string name;
  bool self_closing = false;
  size_t end = 0;  // offset just past '>' (or input size at EOF)
};

// Tokenizes one tag starting at `pos` (just after "<" or "</") following the
// HTML tokenizer's tag-name and attribute states, so a '>' or "</x>" inside a
// quoted attribute value never ends the tag early.
Tag read_tag(std::string_view s, size_t pos) {
  Tag tag;
  size_t i = pos;
  while (i < s.size() && !is_space(s[i]) && s[i] != '/' && s[i] != '>') tag.name += lower(s[i++]);
  enum class St { before_name, name, after_name, before_value, dq, sq, unq, after_value, slash };
  St st = St::before_name;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    switch (st) {
      case St::before_name:
        if (is_space(c)) break;
        if (c == '/')
          st = St::slash;
        else if (c == '>') {
          tag.end = i + 1;
          return tag;
        } else
          st = St::name;
        break;
      case St::name:
        if (is_space(c))
          st = St::after_name;
        else if (c == '/')
          st = St::slash;
        else if (c == '=')
          st = St::before_value;
        else if (c == '>') {
          tag.end = i + 1;
          return tag;
        }
        break;
      case St::after_name:
        if (is_space(c)) break;
        if (c == '/')
          st = St::slash;
        else if (c == '=')
          st = St::before_value;
        else if (c == '>') {
          tag.end = i + 1;
          return tag;
        } else
          st = St::name;
        break;
      case St::before_value:
        if (is_space(c)) break;
        if (c == '"')
          st = St::dq;
        else if (c == '\'')
          st = St::sq;
        else if (c == '>') {
          tag.end = i + 1;
          return tag;
        } else
          st = St::unq;
        break;
      case St::dq:
        if (c == '"') st = St::after_value;
        break;
      case St::sq:
        if (c == '\'') st = St::after_value;
        break;
      case St::unq:
        if (is_space(c))
          st = St::before_name;
        else if (c == '>') {
          tag.end = i + 1;
          return tag;
        }
        break;
      case St::after_value:
        if (is_space(c))
          st = St::before_name;
        else if (c == '/')
          st = St::slash;
        else if (c == '>') {
          tag.end = i + 1;
          return tag;
        } else {
          st = St::before_name;
          --i;
        }
        break;
      case St::slash:
        if (c == '>') {
          tag.self_closing = true;
          tag.end = i + 1;
          return tag;
        }
        st = St::before_name;
        --i;
        break;
    }
  }
  tag.end = s.size();
  return tag;
}

}  // namespace

BudgetResult check_html_budget(std::string_view s, size_t max_depth, size_t max_start_tags) {
  std::vector<std::string> stack;
  size_t leaked = 0;  // formatting elements the parser may recreate
  size_t start_tags = 0;
  // End tags before this offset are ignored (inside a comment, a bogus
  // comment or a raw text element). Start tags there still count: counting
  // too much only cuts earlier, counting too little could let a stall in.
  size_t ignore_end_until = 0;
  size_t i = 0;
  while (i < s.size()) {
    const size_t lt = s.find('<', i);
    if (lt == std::string_view::npos || lt + 1 >= s.size()) break;
    const char next = s[lt + 1];
    if (next == '!' || next == '?') {
      size_t close = std::string_view::npos;
      if (s.substr(lt, 4) == "<!--")
        close = s.find("-->", lt + 2);
      else if (s.substr(lt, 9) == "<![CDATA[")
        close = s.find("]]>", lt + 9);
      else
        close = s.find('>', lt + 2);
      // The latest plausible end: the real parser never runs past it.
      ignore_end_until =
          std::max(ignore_end_until, close == std::string_view::npos ? s.size() : close + 3);
      i = lt + 2;
      continue;
    }
    if (next == '/' && lt + 2 < s.size() && is_alpha(s[lt + 2])) {
      const Tag tag = read_tag(s, lt + 2);
      if (lt >= ignore_end_until && !stack.empty()) {
        if (stack.back() == tag.name) {
          stack.pop_back();
        } else if (!in(kFormatting, tag.name)) {
          // Pops up to the element; formatting elements above it stay in the
          // parser's active list and may be recreated: keep counting them.
          auto it = std::find(stack.rbegin(), stack.rend(), tag.name);
          if (it != stack.rend()) {
            const size_t keep = static_cast<size_t>(stack.rend() - it) - 1;
            for (size_t k = keep + 1; k < stack.size(); ++k)
              leaked += in(kFormatting, stack[k]) ? 1 : 0;
            stack.resize(keep);
          }
        }
        // A misnested formatting end tag runs the adoption agency, which can
        // move and clone elements: the model pops nothing.
      }
      i = std::max(tag.end, lt + 2);
      continue;
    }
    if (!is_alpha(next)) {
      i = lt + 1;
      continue;
    }
    if (++start_tags > max_start_tags) return {lt, rules::kElementCount};
    const Tag tag = read_tag(s, lt + 1);
    const bool closes = in(kVoid, tag.name) || (tag.self_closing && in(kSvgSelfClosing, tag.name));
    if (!closes) {
      stack.push_back(tag.name);
      if (stack.size() + leaked > max_depth) return {lt, rules::kDepth};
    }
    i = std::max(tag.end, lt + 1);
    if (in(kRawText, tag.name)) {
      const size_t close =
          tag.name == "plaintext" ? std::string_view::npos : find_ci(s, "</" + tag.name, i);
      ignore_end_until =
          std::max(ignore_end_until, close == std::string_view::npos ? s.size() : close);
      // The closing tag itself is processed normally (it pops the element).
    }
  }
  return {s.size(), {}};
}

}  // namespace vitrine::render
