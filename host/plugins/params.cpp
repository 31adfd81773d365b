#include "plugins/params.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <regex>

namespace vitrine::plugins {
namespace {

std::string quoted_list(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + ("'" + v + "'");
  return out;
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string item =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto b = item.find_first_not_of(' ');
    auto e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

bool is_grafana_uid(std::string_view s) {
  // Grafana accepts up to 40 characters of [A-Za-z0-9_-] for uids.
  if (s.empty() || s.size() > 40) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<int64_t> parse_duration_ms(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  auto n = parse_int(text.substr(0, text.size() - 1));
  if (!n || *n < 0 || *n > 100000) return std::nullopt;
  switch (text.back()) {
    case 's':
      return *n * 1000;
    case 'm':
      return *n * 60'000;
    case 'h':
      return *n * 3'600'000;
    case 'd':
      return *n * 86'400'000;
    case 'w':
      return *n * 604'800'000;
    default:
      return std::nullopt;
  }
}

vitrine_str BoundParams::keep(std::string s) {
  text_.push_back(std::move(s));
  return vitrine_str{text_.back().data(), text_.back().size()};
}

const vitrine_param* BoundParams::find(std::string_view name) const {
  for (const auto& p : params_) {
    if (std::string_view(p.name.ptr, p.name.len) == name) return &p;
  }
  return nullptr;
}

std::optional<ParamError> bind_params(const manifest::Macro& macro,
                                      const std::map<std::string, std::string>& raw, int64_t now_ms,
                                      BoundParams& out) {
  using manifest::ParamType;
  for (const auto& [name, value] : raw) {
    bool known = false;
    for (const auto& p : macro.parameters) known = known || p.name == name;
    if (!known) {
      std::vector<std::string> names;
      for (const auto& p : macro.parameters) names.push_back(p.name);
      return ParamError{
          name, "param-unknown",
          "macro '" + macro.key + "' has no parameter '" + name + "'" +
              (names.empty() ? "; it takes none" : "; it takes " + quoted_list(names))};
    }
  }
  for (const auto& decl : macro.parameters) {
    auto it = raw.find(decl.name);
    const bool given = it != raw.end();
    if (!given && decl.required) {
      return ParamError{decl.name, "param-required",
                        "parameter '" + decl.name + "' is required by macro '" + macro.key + "'"};
    }
    if (!given && !decl.default_text && decl.default_items.empty()) continue;

    vitrine_param p{};
    p.name = out.keep(decl.name);
    p.is_default = given ? 0 : 1;
    std::string text;
    if (given) {
      text = it->second;
    } else if (decl.default_text) {
      text = *decl.default_text;
    } else {
      for (const auto& item : decl.default_items) text += (text.empty() ? "" : ",") + item;
    }
    auto fail = [&](std::string rule, std::string what) {
      return ParamError{decl.name, std::move(rule),
                        "parameter '" + decl.name + "' = '" + text + "': " + what};
    };
    if (text.find('\0') != std::string::npos) return fail("param-type", "contains a NUL byte");
    switch (decl.type) {
      case ParamType::string:
        p.type = VITRINE_PARAM_STRING;
        if (decl.max_length && text.size() > *decl.max_length) {
          return fail("param-range", "longer than " + std::to_string(*decl.max_length) +
                                         " characters; shorten it");
        }
        if (decl.pattern) {
          bool matched = false;
          try {
            matched = std::regex_match(text, std::regex(*decl.pattern));
          } catch (const std::regex_error&) {
            // The manifest checker compiled the pattern; an error here is a
            // complexity limit, which we treat as no match rather than crash.
          }
          if (!matched) return fail("param-pattern", "does not match the pattern " + *decl.pattern);
        }
        break;
      case ParamType::integer: {
        p.type = VITRINE_PARAM_INTEGER;
        auto v = parse_int(text);
        if (!v) return fail("param-type", "is not a whole number");
        if ((decl.min && *v < *decl.min) || (decl.max && *v > *decl.max)) {
          return fail("param-range", "must be between " +
                                         (decl.min ? std::to_string(*decl.min) : "-inf") + " and " +
                                         (decl.max ? std::to_string(*decl.max) : "inf"));
        }
        p.int_value = *v;
        break;
      }
      case ParamType::boolean:
        p.type = VITRINE_PARAM_BOOLEAN;
        if (text != "true" && text != "false") return fail("param-type", "write true or false");
        p.int_value = text == "true" ? 1 : 0;
        break;
      case ParamType::enumeration:
        p.type = VITRINE_PARAM_ENUM;
        if (std::find(decl.values.begin(), decl.values.end(), text) == decl.values.end()) {
          return fail("param-enum", "must be one of " + quoted_list(decl.values));
        }
        break;
      case ParamType::enum_list: {
        p.type = VITRINE_PARAM_ENUM_LIST;
        std::vector<vitrine_str> items;
        for (const auto& item : split_list(text)) {
          if (std::find(decl.values.begin(), decl.values.end(), item) == decl.values.end()) {
            return fail("param-enum",
                        "item '" + item + "' must be one of " + quoted_list(decl.values));
          }
          items.push_back(out.keep(item));
        }
        out.lists_.push_back(std::move(items));
        p.items = out.lists_.back().data();
        p.item_count = out.lists_.back().size();
        break;
      }
      case ParamType::duration: {
        p.type = VITRINE_PARAM_DURATION;
        auto ms = parse_duration_ms(text);
        if (!ms) return fail("param-type", "is not a duration; write e.g. 30s, 5m, 2h, 7d");
        p.int_value = *ms;
        break;
      }
      case ParamType::time: {
        p.type = VITRINE_PARAM_TIME;
        // The end of a range (`to`, `*_to`) rounds up, as Grafana's does:
        // to=now/d is the last millisecond of today (date_math.h).
        const std::string& name = decl.name;
        const bool range_end = name == "to" || (name.size() > 3 && name.ends_with("_to"));
        auto ms = parse_time_ms(text, now_ms, range_end ? Round::up : Round::down);
        if (!ms) {
          return fail("param-type",
                      "is not a time; write now, now-7d, now/d, 2026-11-29T10:00:00Z or epoch "
                      "milliseconds");
        }
        p.int_value = *ms;
        break;
      }
      case ParamType::uid:
        p.type = VITRINE_PARAM_UID;
        if (!is_grafana_uid(text)) {
          return fail("param-type", "is not a Grafana uid (1-40 of A-Z a-z 0-9 - _)");
        }
        break;
    }
    p.text_value = out.keep(text);
    out.params_.push_back(p);
  }
  return std::nullopt;
}

}  // namespace vitrine::plugins
