#include "render/sanitizer.h"

#include <gumbo.h>

#include <algorithm>
#include <array>
#include <memory>

#include "render/attr_values.h"
#include "render/html_budget.h"
#include "render/html_escape.h"
#include "render/sanitizer_rules.h"
#include "render/url_check.h"

namespace vitrine::render {
namespace rules {

std::span<const RuleInfo> all() {
  static constexpr std::array<RuleInfo, 22> kAll = {{
      {kInputSize, "input over the size limit is cut at the limit"},
      {kElementCount, "input is cut before the start tag that exceeds the element budget"},
      {kDepth, "elements nested deeper than the depth limit are dropped with their content"},
      {kElementDropped, "an active or embedding element is dropped with its content"},
      {kElementUnwrapped, "an unknown element is removed; its text and children are kept"},
      {kElementNamespace, "an element in the wrong namespace (HTML inside SVG) is unwrapped"},
      {kComment, "comments are dropped"},
      {kAttrEventHandler, "on* event handler attributes are dropped"},
      {kAttrStyle, "style attributes are dropped"},
      {kAttrNotAllowed, "attributes outside the allowlist are dropped"},
      {kAttrNamespaced, "namespaced attributes (xlink:*, xml:*, xmlns:*) are dropped"},
      {kAttrValue, "an allowed attribute whose value fails its check is dropped"},
      {kAttrReserved, "data-vitrine-* attributes belong to the host and are dropped"},
      {kSvgHref, "href and xlink:href on SVG elements are dropped"},
      {kSvgUrl, "url() in SVG paint other than url(#id) is dropped"},
      {kLinkScheme, "a link that is not https:// is dropped"},
      {kLinkSyntax, "a link with control bytes, spaces, userinfo or a bad host is dropped"},
      {kLinkOrigin, "a link to an origin other than the space's Grafana is dropped"},
      {kLinkRel, "rel and target on links are set by the host"},
      {kImgSrc, "an image source that is neither an asset path nor a data: image is dropped"},
      {kImgAsset, "an asset path outside the space's prefix or with dot segments is dropped"},
      {kImgData, "a data: image that is not base64 PNG/JPEG within the size cap is dropped"},
  }};
  return kAll;
}

}  // namespace rules

namespace {

// ---------------------------------------------------------------- elements

// Kept elements. Anything else is unwrapped (children kept) unless it is in
// kDropWithContent.
constexpr std::array<std::string_view, 49> kHtmlElements = {
    "div",     "span",       "p",       "a",       "ul",  "ol",   "li",
    "table",   "thead",      "tbody",   "tfoot",   "tr",  "th",   "td",
    "caption", "colgroup",   "col",     "h1",      "h2",  "h3",   "h4",
    "h5",      "h6",         "strong",  "em",      "b",   "i",    "code",
    "pre",     "small",      "time",    "abbr",    "br",  "hr",   "img",
    "figure",  "figcaption", "details", "summary", "dl",  "dt",   "dd",
    "section", "header",     "footer",  "sup",     "sub", "mark", "blockquote"};

struct SvgName {
  std::string_view lower;  // as compared (the parser's lowercase form)
  std::string_view name;   // as written (SVG is case-sensitive)
};
constexpr std::array<SvgName, 17> kSvgElements = {{
    {"svg", "svg"},
    {"g", "g"},
    {"rect", "rect"},
    {"circle", "circle"},
    {"ellipse", "ellipse"},
    {"line", "line"},
    {"polyline", "polyline"},
    {"polygon", "polygon"},
    {"path", "path"},
    {"text", "text"},
    {"tspan", "tspan"},
    {"title", "title"},
    {"desc", "desc"},
    {"defs", "defs"},
    {"lineargradient", "linearGradient"},
    {"stop", "stop"},
    {"clippath", "clipPath"},
}};

// Dropped together with everything inside: script and style, anything that
// embeds another document or resource, forms, metadata that changes how the
// page is read (base, meta, link), and containers whose content the parser
// treats as raw text or as a separate tree (template, noscript, math,
// foreignObject). SVG animation and <use> can rewrite or import attributes.
constexpr std::array<std::string_view, 45> kDropWithContent = {
    "script",    "style",    "iframe",  "frame",         "frameset",
    "object",    "embed",    "applet",  "form",          "input",
    "button",    "select",   "option",  "optgroup",      "datalist",
    "textarea",  "output",   "link",    "meta",          "base",
    "template",  "noscript", "noembed", "noframes",      "xmp",
    "plaintext", "title",    "head",    "math",          "foreignobject",
    "use",       "image",    "animate", "animatemotion", "animatetransform",
    "set",       "audio",    "video",   "source",        "track",
    "canvas",    "param",    "portal",  "feimage",       "filter"};

bool contains(std::span<const std::string_view> set, std::string_view name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The element's lowercase name as the parser saw it.
std::string element_name(const GumboElement& e) {
  if (e.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(e.tag);
  GumboStringPiece piece = e.original_tag;
  if (piece.data == nullptr || piece.length == 0) return {};
  gumbo_tag_from_original_text(&piece);  // strips "<" ... ">"
  std::string_view text(piece.data, piece.length);
  const size_t end = text.find_first_of(" \t\n\r\f/>");
  return lower(text.substr(0, end));
}

// ---------------------------------------------------------------- attributes

using values::Check;

struct AttrRule {
  std::string_view element;  // "*" for every element of the table's namespace
  std::string_view name;
  Check check;
};

constexpr std::array<AttrRule, 21> kHtmlAttrs = {{
    {"*", "class", values::class_list},  {"*", "id", values::id},
    {"*", "title", values::text},        {"*", "lang", values::lang},
    {"*", "dir", values::dir},           {"*", "role", values::role},
    {"td", "colspan", values::integer},  {"td", "rowspan", values::integer},
    {"td", "headers", values::id_refs},  {"th", "colspan", values::integer},
    {"th", "rowspan", values::integer},  {"th", "headers", values::id_refs},
    {"th", "scope", values::cell_scope}, {"time", "datetime", values::datetime},
    {"img", "alt", values::text},        {"img", "width", values::integer},
    {"img", "height", values::integer},  {"details", "open", values::boolean},
    {"col", "span", values::integer},    {"colgroup", "span", values::integer},
    {"ol", "start", values::integer},
}};

// SVG presentation and geometry attributes, on every allowed SVG element.
// Names are the parser's case-adjusted SVG names (viewBox, not viewbox).
constexpr std::array<AttrRule, 47> kSvgAttrs = {{
    {"*", "class", values::class_list},
    {"*", "id", values::id},
    {"*", "role", values::role},
    {"*", "lang", values::lang},
    {"*", "viewBox", values::svg_number_list},
    {"*", "preserveAspectRatio", values::svg_aspect_ratio},
    {"*", "x", values::svg_length},
    {"*", "y", values::svg_length},
    {"*", "x1", values::svg_length},
    {"*", "y1", values::svg_length},
    {"*", "x2", values::svg_length},
    {"*", "y2", values::svg_length},
    {"*", "cx", values::svg_length},
    {"*", "cy", values::svg_length},
    {"*", "r", values::svg_length},
    {"*", "rx", values::svg_length},
    {"*", "ry", values::svg_length},
    {"*", "dx", values::svg_length},
    {"*", "dy", values::svg_length},
    {"*", "width", values::svg_length},
    {"*", "height", values::svg_length},
    {"*", "points", values::svg_number_list},
    {"*", "d", values::svg_path},
    {"*", "fill", values::svg_paint},
    {"*", "stroke", values::svg_paint},
    {"*", "stroke-width", values::svg_length},
    {"*", "stroke-dasharray", values::svg_number_list},
    {"*", "stroke-linecap", values::svg_linecap},
    {"*", "stroke-linejoin", values::svg_linejoin},
    {"*", "opacity", values::svg_length},
    {"*", "fill-opacity", values::svg_length},
    {"*", "stroke-opacity", values::svg_length},
    {"*", "fill-rule", values::svg_fill_rule},
    {"*", "clip-rule", values::svg_fill_rule},
    {"*", "clip-path", values::svg_clip_ref},
    {"*", "transform", values::svg_transform},
    {"*", "text-anchor", values::svg_text_anchor},
    {"*", "dominant-baseline", values::svg_baseline},
    {"*", "font-size", values::svg_length},
    {"*", "font-family", values::svg_font_family},
    {"*", "font-weight", values::svg_font_weight},
    {"stop", "offset", values::svg_length},
    {"stop", "stop-color", values::svg_paint},
    {"stop", "stop-opacity", values::svg_length},
    {"linearGradient", "gradientUnits", values::svg_units},
    {"linearGradient", "gradientTransform", values::svg_transform},
    {"clipPath", "clipPathUnits", values::svg_units},
}};

// ARIA attributes whose values are id references (prefixed like ids).
constexpr std::array<std::string_view, 8> kAriaIdRefs = {
    "aria-labelledby",       "aria-describedby", "aria-controls", "aria-owns",
    "aria-activedescendant", "aria-flowto",      "aria-details",  "aria-errormessage"};

constexpr std::string_view kForcedRel = "noopener noreferrer";
constexpr std::string_view kForcedTarget = "_blank";

template <size_t N>
Check find_attr(const std::array<AttrRule, N>& table, std::string_view element,
                std::string_view name) {
  for (const auto& rule : table)
    if ((rule.element == "*" || rule.element == element) && rule.name == name) return rule.check;
  return nullptr;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool valid_attr_suffix(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

// ---------------------------------------------------------------- walker

class Sanitizer {
 public:
  Sanitizer(const SanitizeContext& ctx, SanitizeResult& result) : ctx_(ctx), result_(result) {
    if (auto origin = normalize_origin(ctx.grafana_origin); !origin.empty())
      origins_.push_back(origin);
    for (const auto& o : ctx.link_origins)
      if (auto origin = normalize_origin(o); !origin.empty()) origins_.push_back(origin);
    env_.id_prefix = ctx_.id_prefix;
  }

  void record(std::string_view rule, std::string_view element, std::string_view attribute) {
    ++result_.removed_total;
    if (result_.removed.size() < ctx_.max_removals_listed)
      result_.removed.push_back({std::string(rule), std::string(element), std::string(attribute)});
  }

  void children(const GumboVector& kids, size_t depth, bool in_svg) {
    for (unsigned i = 0; i < kids.length; ++i)
      node(*static_cast<const GumboNode*>(kids.data[i]), depth, in_svg);
  }

 private:
  void node(const GumboNode& n, size_t depth, bool in_svg) {
    switch (n.type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_CDATA:  // CDATA in SVG is text; it is written escaped
        append_escaped(out(), n.v.text.text);
        return;
      case GUMBO_NODE_COMMENT:
        record(rules::kComment, "", "");
        return;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE:
        element(n.v.element, depth + 1, in_svg);
        return;
      case GUMBO_NODE_DOCUMENT:
        return;
    }
  }

  void element(const GumboElement& e, size_t depth, bool in_svg) {
    const std::string name = element_name(e);
    if (depth > ctx_.max_depth) {
      if (!depth_recorded_) record(rules::kDepth, name, "");
      depth_recorded_ = true;
      result_.truncated = true;
      return;
    }
    const bool svg = e.tag_namespace == GUMBO_NAMESPACE_SVG;
    const auto svg_it = std::find_if(kSvgElements.begin(), kSvgElements.end(),
                                     [&](const SvgName& s) { return svg && s.lower == name; });
    // SVG <title> is kept (it is the accessible name) while HTML <title> is
    // dropped: the SVG allowlist is consulted first.
    if (e.tag_namespace == GUMBO_NAMESPACE_MATHML ||
        (svg_it == kSvgElements.end() && contains(kDropWithContent, name))) {
      record(rules::kElementDropped, name, "");
      return;
    }
    if (svg) {
      const auto it = svg_it;
      if (it == kSvgElements.end()) {
        record(rules::kElementUnwrapped, name, "");
        children(e.children, depth, in_svg);
        return;
      }
      if (!in_svg && name != "svg") {
        record(rules::kElementNamespace, name, "");
        children(e.children, depth, in_svg);
        return;
      }
      write_element(e, it->name, /*svg=*/true, depth);
      return;
    }
    // HTML namespace.
    if (in_svg) {
      // HTML inside SVG only arises through integration points (title,
      // desc); serializing it there is where parsers disagree (mXSS).
      record(rules::kElementNamespace, name, "");
      children(e.children, depth, in_svg);
      return;
    }
    if (!contains(kHtmlElements, name)) {
      record(rules::kElementUnwrapped, name, "");
      children(e.children, depth, in_svg);
      return;
    }
    write_element(e, name, /*svg=*/false, depth);
  }

  void write_element(const GumboElement& e, std::string_view name, bool svg, size_t depth) {
    std::string& o = out();
    o += '<';
    o += name;
    const bool kept_href = write_attributes(e, name, svg);
    if (kept_href) {
      o += " rel=\"";
      o += kForcedRel;
      o += "\" target=\"";
      o += kForcedTarget;
      o += '"';
    }
    o += '>';
    if (!svg && is_void(name)) return;
    const size_t content_start = o.size();
    children(e.children, depth, svg);
    if (svg && o.size() == content_start) {
      o.back() = '/';  // an empty SVG element is written self-closed: <rect .../>
      o += '>';
      return;
    }
    // The parser drops one newline right after <pre>; write one more so a
    // leading newline in the content survives a second parse.
    if (name == "pre" && o.size() > content_start && o[content_start] == '\n')
      o.insert(content_start, 1, '\n');
    o += "</";
    o += name;
    o += '>';
  }

  static bool is_void(std::string_view name) {
    return name == "br" || name == "hr" || name == "img" || name == "col";
  }

  // Writes the kept attributes; returns true when an a href was kept (the
  // caller then adds rel and target).
  bool write_attributes(const GumboElement& e, std::string_view element, bool svg) {
    bool kept_href = false;
    for (unsigned i = 0; i < e.attributes.length; ++i) {
      const auto& attr = *static_cast<const GumboAttribute*>(e.attributes.data[i]);
      const std::string_view name = attr.name;
      const std::string_view value = attr.value;
      std::string written_name(name);

      if (attr.attr_namespace != GUMBO_ATTR_NAMESPACE_NONE) {
        if (attr.attr_namespace == GUMBO_ATTR_NAMESPACE_XMLNS && name == "xmlns" && svg) {
          keep_if(values::svg_xmlns(value, env_), element, "xmlns");
        } else if (attr.attr_namespace == GUMBO_ATTR_NAMESPACE_XLINK && name == "href") {
          record(rules::kSvgHref, element, "xlink:href");
        } else {
          record(rules::kAttrNamespaced, element,
                 std::string_view(attr.original_name.data, attr.original_name.length));
        }
        continue;
      }
      if (starts_with(lower(name), "on")) {
        record(rules::kAttrEventHandler, element, name);
        continue;
      }
      if (name == "style") {
        record(rules::kAttrStyle, element, name);
        continue;
      }
      if (svg && name == "href") {
        record(rules::kSvgHref, element, name);
        continue;
      }
      if (svg && name == "xmlns") {  // parsers that keep it un-namespaced
        keep_if(values::svg_xmlns(value, env_), element, name);
        continue;
      }
      if (starts_with(name, "data-")) {
        if (starts_with(name, "data-vitrine")) {
          record(rules::kAttrReserved, element, name);
        } else if (!valid_attr_suffix(name.substr(5))) {
          record(rules::kAttrNotAllowed, element, name);
        } else {
          keep_if(values::data(value, env_), element, name);
        }
        continue;
      }
      if (starts_with(name, "aria-")) {
        if (!valid_attr_suffix(name.substr(5))) {
          record(rules::kAttrNotAllowed, element, name);
        } else if (contains(kAriaIdRefs, name)) {
          keep_if(values::id_refs(value, env_), element, name);
        } else {
          keep_if(values::text(value, env_), element, name);
        }
        continue;
      }
      if (!svg && element == "a" && name == "href") {
        const UrlVerdict verdict = check_link(value, origins_);
        if (verdict.ok) {
          write_attr(name, value);
          kept_href = true;
        } else {
          record(verdict.rule, element, name);
        }
        continue;
      }
      if (!svg && element == "a" && (name == "rel" || name == "target")) {
        // The host sets both; a matching value (output of an earlier pass) is
        // not a removal worth reporting.
        if (value != (name == "rel" ? kForcedRel : kForcedTarget))
          record(rules::kLinkRel, element, name);
        continue;
      }
      if (!svg && element == "img" && name == "src") {
        const UrlVerdict verdict =
            check_image_src(value, ctx_.asset_prefix, ctx_.max_data_image_bytes);
        if (verdict.ok)
          write_attr(name, value);
        else
          record(verdict.rule, element, name);
        continue;
      }
      Check check = nullptr;
      if (svg) {
        check = find_attr(kSvgAttrs, element, name);
      } else {
        check = find_attr(kHtmlAttrs, element, name);
      }
      if (!check) {
        record(rules::kAttrNotAllowed, element, name);
        continue;
      }
      keep_if(check(value, env_), element, name);
    }
    return kept_href;
  }

  void keep_if(const values::Verdict& verdict, std::string_view element, std::string_view name) {
    if (verdict.ok)
      write_attr(name, verdict.value);
    else
      record(verdict.rule, element, name);
  }

  void write_attr(std::string_view name, std::string_view value) {
    std::string& o = out();
    o += ' ';
    o += name;
    o += "=\"";
    append_escaped(o, value);
    o += '"';
  }

  std::string& out() { return result_.html; }

  const SanitizeContext& ctx_;
  SanitizeResult& result_;
  std::vector<std::string> origins_;
  values::Env env_;
  bool depth_recorded_ = false;
};

struct GumboOutputDeleter {
  const GumboOptions* options;
  void operator()(GumboOutput* output) const { gumbo_destroy_output(options, output); }
};

// Backs up to the start of a UTF-8 sequence so a cut never splits one.
size_t utf8_boundary(std::string_view s, size_t n) {
  while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace

SanitizeResult sanitize(std::string_view html, const SanitizeContext& context) {
  SanitizeResult result;
  Sanitizer sanitizer(context, result);

  if (html.size() > context.max_input_bytes) {
    html = html.substr(0, utf8_boundary(html, context.max_input_bytes));
    sanitizer.record(rules::kInputSize, "", "");
    result.truncated = true;
  }
  // The parse guard allows a margin over max_depth so the walker, which sees
  // the real tree, is the one that normally applies the depth rule.
  const BudgetResult budget =
      check_html_budget(html, context.max_depth * 2 + 8, context.max_elements);
  if (!budget.rule.empty()) {
    html = html.substr(0, budget.keep);
    sanitizer.record(budget.rule, "", "");
    result.truncated = true;
  }

  GumboOptions options = kGumboDefaultOptions;
  options.fragment_context = GUMBO_TAG_DIV;
  options.fragment_namespace = GUMBO_NAMESPACE_HTML;
  options.max_errors = 0;  // parse errors are not reported; do not collect them
  std::unique_ptr<GumboOutput, GumboOutputDeleter> output(
      gumbo_parse_with_options(&options, html.data(), html.size()), GumboOutputDeleter{&options});
  if (!output) return result;

  result.html.reserve(html.size());
  // A fragment parse yields document > html > the fragment's nodes.
  const GumboNode* root = output->root;
  if (root && root->type == GUMBO_NODE_ELEMENT)
    sanitizer.children(root->v.element.children, 0, false);
  return result;
}

}  // namespace vitrine::render
