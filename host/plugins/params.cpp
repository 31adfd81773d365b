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

std::optional<int64_t> parse_time_ms(std::string_view text, int64_t now_ms) {
  if (text == "now") return now_ms;
  if (text.size() > 4 && text.substr(0, 3) == "now" && (text[3] == '-' || text[3] == '+')) {
    auto d = parse_duration_ms(text.substr(4));
    if (!d) return std::nullopt;
    return text[3] == '-' ? now_ms - *d : now_ms + *d;
  }
  // RFC 3339, UTC only ("Z"): an offset would need a zone database and is a
  // common source of silent hour shifts.
  static const std::regex rfc3339(R"((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z)");
  std::cmatch m;
  if (!std::regex_match(text.begin(), text.end(), m, rfc3339)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  return static_cast<int64_t>(timegm(&tm)) * 1000;
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
        auto ms = parse_time_ms(text, now_ms);
        if (!ms) {
          return fail("param-type", "is not a time; write now, now-7d, or 2026-11-29T10:00:00Z");
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
