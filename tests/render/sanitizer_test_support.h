// Shared checks for the sanitizer tests: an independent walk of the
// sanitizer's output, re-parsed with gumbo, that fails on any construct a
// browser could execute or use to load something.
#pragma once

#include <gumbo.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "render/sanitizer.h"

namespace vitrine::render::testing {

inline SanitizeContext test_context() {
  SanitizeContext ctx;
  ctx.grafana_origin = "https://grafana.example.com";
  ctx.asset_prefix = "/assets/ops/";
  ctx.link_origins = {"https://status.example.com"};
  return ctx;
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Lowercased value with whitespace and control bytes removed, the way a
// browser's URL parser would see a scheme.
inline std::string squash(std::string_view s) {
  std::string out;
  for (char c : lower(s))
    if (static_cast<unsigned char>(c) > 0x20) out += c;
  return out;
}

inline bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

inline std::string tag_name(const GumboElement& e) {
  if (e.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(e.tag);
  GumboStringPiece piece = e.original_tag;
  if (!piece.data) return "?";
  gumbo_tag_from_original_text(&piece);
  std::string_view t(piece.data, piece.length);
  return lower(t.substr(0, t.find_first_of(" \t\n\r\f/>")));
}

// Returns a description of every unsafe construct found (empty: inert).
inline std::vector<std::string> unsafe_constructs(std::string_view html) {
  static const std::set<std::string> kHtml = {
      "div",     "span",       "p",       "a",       "ul",  "ol",   "li",
      "table",   "thead",      "tbody",   "tfoot",   "tr",  "th",   "td",
      "caption", "colgroup",   "col",     "h1",      "h2",  "h3",   "h4",
      "h5",      "h6",         "strong",  "em",      "b",   "i",    "code",
      "pre",     "small",      "time",    "abbr",    "br",  "hr",   "img",
      "figure",  "figcaption", "details", "summary", "dl",  "dt",   "dd",
      "section", "header",     "footer",  "sup",     "sub", "mark", "blockquote"};
  static const std::set<std::string> kSvg = {
      "svg",      "g",       "rect",           "circle", "ellipse", "line",
      "polyline", "polygon", "path",           "text",   "tspan",   "title",
      "desc",     "defs",    "lineargradient", "stop",   "clippath"};
  std::vector<std::string> found;
  GumboOptions options = kGumboDefaultOptions;
  options.fragment_context = GUMBO_TAG_DIV;
  options.fragment_namespace = GUMBO_NAMESPACE_HTML;
  GumboOutput* out = gumbo_parse_with_options(&options, html.data(), html.size());
  std::vector<const GumboNode*> stack = {out->root};
  bool root = true;
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_COMMENT) found.push_back("comment");
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE) continue;
    const GumboElement& e = n->v.element;
    const std::string name = tag_name(e);
    if (!root) {
      if (e.tag_namespace == GUMBO_NAMESPACE_HTML && !kHtml.count(name))
        found.push_back("element " + name);
      if (e.tag_namespace == GUMBO_NAMESPACE_SVG && !kSvg.count(name))
        found.push_back("svg element " + name);
      if (e.tag_namespace == GUMBO_NAMESPACE_MATHML) found.push_back("mathml " + name);
    }
    root = false;
    for (unsigned i = 0; i < e.attributes.length; ++i) {
      const auto* a = static_cast<const GumboAttribute*>(e.attributes.data[i]);
      const std::string attr = lower(a->name);
      const std::string value = a->value;
      const std::string sq = squash(value);
      if (a->attr_namespace != GUMBO_ATTR_NAMESPACE_NONE &&
          !(a->attr_namespace == GUMBO_ATTR_NAMESPACE_XMLNS && attr == "xmlns"))
        found.push_back("namespaced attribute " + attr);
      if (starts_with(attr, "on")) found.push_back("event handler " + attr);
      if (attr == "style") found.push_back("style attribute");
      if (attr == "srcdoc" || attr == "formaction" || attr == "action" || attr == "srcset" ||
          attr == "data" || attr == "xlink:href")
        found.push_back("attribute " + attr);
      if (attr == "href") {
        const bool ok_origin = starts_with(value, "https://grafana.example.com/") ||
                               value == "https://grafana.example.com" ||
                               starts_with(value, "https://status.example.com/");
        if (e.tag != GUMBO_TAG_A || e.tag_namespace != GUMBO_NAMESPACE_HTML || !ok_origin)
          found.push_back("href " + value);
      }
      if (attr == "src") {
        const bool ok_src =
            (starts_with(value, "/assets/ops/") && value.find("..") == std::string::npos &&
             value.find("//") == std::string::npos) ||
            starts_with(value, "data:image/png;base64,") ||
            starts_with(value, "data:image/jpeg;base64,");
        if (e.tag != GUMBO_TAG_IMG || !ok_src) found.push_back("src " + value);
      }
      if (sq.find("javascript:") != std::string::npos || sq.find("vbscript:") != std::string::npos)
        found.push_back("script url in " + attr);
      if (sq.find("url(") != std::string::npos && !starts_with(sq, "url(#"))
        found.push_back("external url() in " + attr);
      if (attr != "src" && sq.find("data:") != std::string::npos)
        found.push_back("data url in " + attr);
    }
    for (unsigned i = 0; i < e.children.length; ++i)
      stack.push_back(static_cast<const GumboNode*>(e.children.data[i]));
  }
  gumbo_destroy_output(&options, out);
  return found;
}

inline bool has_rule(const SanitizeResult& r, std::string_view rule) {
  return std::any_of(r.removed.begin(), r.removed.end(),
                     [&](const Removal& x) { return x.rule == rule; });
}

}  // namespace vitrine::render::testing
