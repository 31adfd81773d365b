#include "vitrine_plugin/json.h"

#include <algorithm>

namespace vitrine::pc::json {

Obj as_object(Obj v) { return v.is_object() ? v : Obj(); }
Arr as_array(Arr v) { return v.is_array() ? v : Arr(); }
Obj as_object(const Doc& d) { return as_object(d.root()); }
Arr as_array(const Doc& d) { return as_array(d.root()); }

Obj object(Obj o, std::string_view key) { return as_object(o[key]); }
Arr array(Obj o, std::string_view key) { return as_array(o[key]); }

std::string string(Obj o, std::string_view key, std::string fallback) {
  const auto s = o[key].string();
  return s ? std::string(*s) : fallback;
}

std::optional<int64_t> integer(Obj o, std::string_view key) { return o[key].int64(); }

std::optional<bool> boolean(Obj o, std::string_view key) { return o[key].boolean(); }

std::vector<std::string> strings(Obj o, std::string_view key) {
  std::vector<std::string> out;
  for (vitrine::sdk::Json v : array(o, key)) {
    if (const auto s = v.string()) out.emplace_back(*s);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> string_map(Obj o, std::string_view key) {
  std::vector<std::pair<std::string, std::string>> out;
  const Obj m = object(o, key);
  for (size_t i = 0; i < m.size(); ++i) {
    if (const auto s = m.at(i).string()) out.emplace_back(std::string(m.key_at(i)), *s);
  }
  // The reader refuses duplicate keys, so sorting by key alone is total.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace vitrine::pc::json
