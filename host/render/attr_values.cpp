#include "render/attr_values.h"

#include <array>
#include <initializer_list>

#include "render/sanitizer_rules.h"

namespace vitrine::render::values {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

Verdict ok(std::string value) { return {true, std::move(value), {}}; }
Verdict bad() { return {false, {}, rules::kAttrValue}; }

bool only(std::string_view v, bool (*allowed)(char)) {
  for (char c : v)
    if (!allowed(c)) return false;
  return true;
}

Verdict one_of(std::string_view v, std::initializer_list<std::string_view> set) {
  for (auto s : set)
    if (v == s) return ok(std::string(v));
  return bad();
}

bool id_char(char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '_'; }

// An id is [A-Za-z][A-Za-z0-9_-]{0,63}; the env prefix is added unless the
// value already carries it.
bool prefixed_id(std::string_view v, const Env& env, std::string* out) {
  if (v.empty() || v.size() > 64 || !is_alpha(v.front()) || !only(v, id_char)) return false;
  if (v.substr(0, env.id_prefix.size()) == env.id_prefix)
    *out = std::string(v);
  else
    *out = std::string(env.id_prefix) + std::string(v);
  return true;
}

template <typename F>
bool for_each_token(std::string_view v, F&& f) {
  size_t i = 0;
  bool any = false;
  while (i < v.size()) {
    while (i < v.size() && is_space(v[i])) ++i;
    size_t j = i;
    while (j < v.size() && !is_space(v[j])) ++j;
    if (j > i) {
      if (!f(v.substr(i, j - i))) return false;
      any = true;
    }
    i = j;
  }
  return any;
}

// A number as SVG writes it: sign, digits, dot, exponent.
size_t scan_number(std::string_view v, size_t i) {
  const size_t start = i;
  if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
  size_t digits = 0;
  while (i < v.size() && is_digit(v[i])) ++i, ++digits;
  if (i < v.size() && v[i] == '.') {
    ++i;
    while (i < v.size() && is_digit(v[i])) ++i, ++digits;
  }
  if (digits == 0) return start;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    size_t k = i + 1;
    if (k < v.size() && (v[k] == '+' || v[k] == '-')) ++k;
    if (k < v.size() && is_digit(v[k])) {
      while (k < v.size() && is_digit(v[k])) ++k;
      i = k;
    }
  }
  return i;
}

bool number_list_char(char c) {
  return is_digit(c) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E' || c == ',' ||
         is_space(c);
}

bool path_char(char c) {
  constexpr std::string_view kCommands = "MmLlHhVvCcSsQqTtAaZz";
  return number_list_char(c) || kCommands.find(c) != std::string_view::npos;
}

// "url(#id)" with the id prefixed; false for any other url().
bool local_url(std::string_view v, const Env& env, std::string* out) {
  if (v.substr(0, 5) != "url(#" || v.back() != ')') return false;
  std::string id;
  if (!prefixed_id(v.substr(5, v.size() - 6), env, &id)) return false;
  *out = "url(#" + id + ")";
  return true;
}

bool color_function_char(char c) {
  return is_digit(c) || c == '.' || c == ',' || c == ' ' || c == '%' || c == '/' || c == '-';
}

}  // namespace

Verdict text(std::string_view v, const Env&) {
  if (v.size() > 1024) return bad();
  return ok(std::string(v));
}

Verdict id(std::string_view v, const Env& env) {
  std::string out;
  if (!prefixed_id(v, env, &out)) return bad();
  return ok(std::move(out));
}

Verdict id_refs(std::string_view v, const Env& env) {
  std::string out;
  const bool good = v.size() <= 1024 && for_each_token(v, [&](std::string_view token) {
                      std::string one;
                      if (!prefixed_id(token, env, &one)) return false;
                      if (!out.empty()) out += ' ';
                      out += one;
                      return true;
                    });
  if (!good) return bad();
  return ok(std::move(out));
}

Verdict class_list(std::string_view v, const Env&) {
  std::string out;
  const bool good = v.size() <= 1024 && for_each_token(v, [&](std::string_view token) {
                      if (token.size() > 64 || !only(token, id_char)) return false;
                      if (!out.empty()) out += ' ';
                      out += token;
                      return true;
                    });
  if (!good) return bad();
  return ok(std::move(out));
}

Verdict lang(std::string_view v, const Env&) {
  if (v.empty() || v.size() > 35 ||
      !only(v, [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; }))
    return bad();
  return ok(std::string(v));
}

Verdict dir(std::string_view v, const Env&) { return one_of(v, {"ltr", "rtl", "auto"}); }

Verdict role(std::string_view v, const Env&) {
  std::string out;
  const bool good = v.size() <= 128 && for_each_token(v, [&](std::string_view token) {
                      if (!only(token, [](char c) { return c >= 'a' && c <= 'z'; })) return false;
                      if (!out.empty()) out += ' ';
                      out += token;
                      return true;
                    });
  if (!good) return bad();
  return ok(std::move(out));
}

Verdict data(std::string_view v, const Env&) {
  if (v.size() > 256) return bad();
  // No host script reads plugin data attributes today; refusing script-like
  // schemes keeps a future one from turning them into links.
  std::string squashed;
  for (char c : v) {
    if (static_cast<unsigned char>(c) <= 0x20) continue;
    squashed += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  for (std::string_view scheme : {"javascript:", "vbscript:", "data:"})
    if (squashed.find(scheme) != std::string::npos) return bad();
  return ok(std::string(v));
}

Verdict datetime(std::string_view v, const Env&) {
  if (v.empty() || v.size() > 64 || !only(v, [](char c) {
        return is_digit(c) || is_alpha(c) || c == ':' || c == '-' || c == '+' || c == '.' ||
               c == ' ';
      }))
    return bad();
  return ok(std::string(v));
}

Verdict integer(std::string_view v, const Env&) {
  if (v.empty() || v.size() > 5 || !only(v, is_digit)) return bad();
  return ok(std::string(v));
}

Verdict cell_scope(std::string_view v, const Env&) {
  return one_of(v, {"row", "col", "rowgroup", "colgroup"});
}

Verdict boolean(std::string_view v, const Env&) {
  if (!v.empty() && v != "open") return bad();
  return ok("");
}

Verdict svg_length(std::string_view v, const Env&) {
  const size_t end = scan_number(v, 0);
  if (end == 0 || v.size() > 32) return bad();
  const std::string_view unit = v.substr(end);
  for (std::string_view allowed : {"", "px", "em", "ex", "pt", "pc", "cm", "mm", "in", "%"})
    if (unit == allowed) return ok(std::string(v));
  return bad();
}

Verdict svg_number_list(std::string_view v, const Env&) {
  if (v.empty() || v.size() > 65536 || !only(v, number_list_char)) return bad();
  return ok(std::string(v));
}

Verdict svg_path(std::string_view v, const Env&) {
  if (v.empty() || v.size() > 262144 || !only(v, path_char)) return bad();
  return ok(std::string(v));
}

Verdict svg_transform(std::string_view v, const Env&) {
  if (v.empty() || v.size() > 1024) return bad();
  size_t i = 0;
  while (i < v.size()) {
    const char c = v[i];
    if (is_alpha(c)) {
      size_t j = i;
      while (j < v.size() && is_alpha(v[j])) ++j;
      const std::string_view word = v.substr(i, j - i);
      bool known = false;
      for (std::string_view fn : {"matrix", "translate", "scale", "rotate", "skewX", "skewY"})
        known = known || word == fn;
      if (!known) return bad();
      i = j;
    } else if (is_digit(c) || c == '.' || c == '-' || c == '+') {
      const size_t end = scan_number(v, i);
      i = end > i ? end : i + 1;
    } else if (c == '(' || c == ')' || c == ',' || is_space(c)) {
      ++i;
    } else {
      return bad();
    }
  }
  return ok(std::string(v));
}

Verdict svg_paint(std::string_view v, const Env& env) {
  if (v.empty() || v.size() > 128) return bad();
  std::string out;
  if (v.substr(0, 4) == "url(") {
    if (!local_url(v, env, &out)) return {false, {}, rules::kSvgUrl};
    return ok(std::move(out));
  }
  if (v.front() == '#') {
    const std::string_view hex = v.substr(1);
    const bool size_ok = hex.size() == 3 || hex.size() == 4 || hex.size() == 6 || hex.size() == 8;
    if (!size_ok || !only(hex, [](char c) {
          return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        }))
      return bad();
    return ok(std::string(v));
  }
  for (std::string_view fn : {"rgb(", "rgba(", "hsl(", "hsla("}) {
    if (v.substr(0, fn.size()) == fn) {
      if (v.back() != ')' ||
          !only(v.substr(fn.size(), v.size() - fn.size() - 1), color_function_char))
        return bad();
      return ok(std::string(v));
    }
  }
  // none, currentColor, transparent and the named colors.
  if (v.size() > 32 || !only(v, is_alpha)) return bad();
  return ok(std::string(v));
}

Verdict svg_clip_ref(std::string_view v, const Env& env) {
  if (v == "none") return ok("none");
  std::string out;
  if (!local_url(v, env, &out)) return {false, {}, rules::kSvgUrl};
  return ok(std::move(out));
}

Verdict svg_text_anchor(std::string_view v, const Env&) {
  return one_of(v, {"start", "middle", "end"});
}

Verdict svg_baseline(std::string_view v, const Env&) {
  return one_of(
      v, {"auto", "middle", "central", "hanging", "alphabetic", "ideographic", "mathematical",
          "text-top", "text-bottom", "text-before-edge", "text-after-edge"});
}

Verdict svg_aspect_ratio(std::string_view v, const Env&) {
  const bool good = for_each_token(v, [](std::string_view token) {
    for (std::string_view s : {"none", "xMinYMin", "xMidYMin", "xMaxYMin", "xMinYMid", "xMidYMid",
                               "xMaxYMid", "xMinYMax", "xMidYMax", "xMaxYMax", "meet", "slice"})
      if (token == s) return true;
    return false;
  });
  if (!good || v.size() > 64) return bad();
  return ok(std::string(v));
}

Verdict svg_linecap(std::string_view v, const Env&) {
  return one_of(v, {"butt", "round", "square"});
}

Verdict svg_linejoin(std::string_view v, const Env&) {
  return one_of(v, {"miter", "round", "bevel", "arcs", "miter-clip"});
}

Verdict svg_fill_rule(std::string_view v, const Env&) { return one_of(v, {"nonzero", "evenodd"}); }

Verdict svg_units(std::string_view v, const Env&) {
  return one_of(v, {"userSpaceOnUse", "objectBoundingBox"});
}

Verdict svg_font_weight(std::string_view v, const Env&) {
  return one_of(v, {"normal", "bold", "bolder", "lighter", "100", "200", "300", "400", "500", "600",
                    "700", "800", "900"});
}

Verdict svg_font_family(std::string_view v, const Env&) {
  if (v.empty() || v.size() > 128 || !only(v, [](char c) {
        return is_alpha(c) || is_digit(c) || c == ' ' || c == ',' || c == '-';
      }))
    return bad();
  return ok(std::string(v));
}

Verdict svg_xmlns(std::string_view v, const Env&) {
  return one_of(v, {"http://www.w3.org/2000/svg"});
}

}  // namespace vitrine::render::values
