#include "vitrine_plugin/json.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <cmath>
#include <limits>

namespace vitrine::pc::json {

std::optional<Var> parse(std::string_view body, std::string& error) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(std::string(body));
  } catch (const Poco::Exception& e) {
    error = e.displayText();
  } catch (const std::exception& e) {
    error = e.what();
  }
  return std::nullopt;
}

Obj as_object(const Var& v) {
  if (v.isEmpty() || v.type() != typeid(Obj)) return {};
  return v.extract<Obj>();
}

Arr as_array(const Var& v) {
  if (v.isEmpty() || v.type() != typeid(Arr)) return {};
  return v.extract<Arr>();
}

namespace {
Var field(const Obj& o, const std::string& key) {
  if (o.isNull() || !o->has(key)) return {};
  return o->get(key);
}
}  // namespace

Obj object(const Obj& o, const std::string& key) { return as_object(field(o, key)); }
Arr array(const Obj& o, const std::string& key) { return as_array(field(o, key)); }

std::string string(const Obj& o, const std::string& key, std::string fallback) {
  const Var v = field(o, key);
  if (v.isEmpty() || !v.isString()) return fallback;
  return v.extract<std::string>();
}

std::optional<int64_t> integer(const Obj& o, const std::string& key) {
  const Var v = field(o, key);
  if (v.isEmpty() || v.isString() || v.isBoolean() || !v.isNumeric()) return std::nullopt;
  try {
    if (v.isInteger()) {
      // UInt64 above INT64_MAX would throw in convert; treat as absent.
      return v.convert<int64_t>();
    }
    const double d = v.convert<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) return std::nullopt;
    return static_cast<int64_t>(d);
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

std::optional<bool> boolean(const Obj& o, const std::string& key) {
  const Var v = field(o, key);
  if (v.isEmpty() || !v.isBoolean()) return std::nullopt;
  return v.extract<bool>();
}

std::vector<std::string> strings(const Obj& o, const std::string& key) {
  std::vector<std::string> out;
  const Arr a = array(o, key);
  if (a.isNull()) return out;
  for (size_t i = 0; i < a->size(); ++i) {
    const Var v = a->get(static_cast<unsigned>(i));
    if (!v.isEmpty() && v.isString()) out.push_back(v.extract<std::string>());
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> string_map(const Obj& o, const std::string& key) {
  std::vector<std::pair<std::string, std::string>> out;
  const Obj m = object(o, key);
  if (m.isNull()) return out;
  // Poco's Object keeps keys sorted by default, which gives a stable order.
  for (const auto& [k, v] : *m) {
    if (!v.isEmpty() && v.isString()) out.emplace_back(k, v.extract<std::string>());
  }
  return out;
}

}  // namespace vitrine::pc::json
