// Value checks for the attributes the sanitizer keeps. Each check accepts a
// value only in a narrow, boring form and returns it as it will be written
// (ids get the id prefix, tokens are single-spaced), so sanitizing twice
// gives the same bytes. URL attributes are in url_check.h.
#pragma once

#include <string>
#include <string_view>

namespace vitrine::render::values {

struct Env {
  std::string_view id_prefix;
};

struct Verdict {
  bool ok = false;
  std::string value;      // the value to write when ok
  std::string_view rule;  // when !ok (sanitize-attr-value unless noted)
};

using Check = Verdict (*)(std::string_view value, const Env& env);

// HTML
Verdict text(std::string_view v, const Env& env);        // title, alt, aria-label: any text
Verdict id(std::string_view v, const Env& env);          // prefixed
Verdict id_refs(std::string_view v, const Env& env);     // headers, aria-labelledby: prefixed
Verdict class_list(std::string_view v, const Env& env);  // [A-Za-z0-9_-] tokens
Verdict lang(std::string_view v, const Env& env);        // BCP 47-ish
Verdict dir(std::string_view v, const Env& env);         // ltr rtl auto
Verdict role(std::string_view v, const Env& env);        // lowercase words
Verdict data(std::string_view v, const Env& env);        // data-*: short, no script scheme
Verdict datetime(std::string_view v, const Env& env);    // time datetime
Verdict integer(std::string_view v, const Env& env);     // colspan, width on img, ...
Verdict cell_scope(std::string_view v, const Env& env);  // th scope
Verdict boolean(std::string_view v, const Env& env);     // details open: written as ""

// SVG presentation attributes
Verdict svg_length(std::string_view v, const Env& env);       // x, r, width, font-size
Verdict svg_number_list(std::string_view v, const Env& env);  // viewBox, points, dasharray
Verdict svg_path(std::string_view v, const Env& env);         // d
Verdict svg_transform(std::string_view v, const Env& env);    // transform
Verdict svg_paint(std::string_view v, const Env& env);        // fill, stroke: url(#id) only
Verdict svg_clip_ref(std::string_view v, const Env& env);     // clip-path: url(#id) or none
Verdict svg_text_anchor(std::string_view v, const Env& env);
Verdict svg_baseline(std::string_view v, const Env& env);
Verdict svg_aspect_ratio(std::string_view v, const Env& env);
Verdict svg_linecap(std::string_view v, const Env& env);
Verdict svg_linejoin(std::string_view v, const Env& env);
Verdict svg_fill_rule(std::string_view v, const Env& env);
Verdict svg_units(std::string_view v, const Env& env);
Verdict svg_font_weight(std::string_view v, const Env& env);
Verdict svg_font_family(std::string_view v, const Env& env);
Verdict svg_xmlns(std::string_view v, const Env& env);

}  // namespace vitrine::render::values
