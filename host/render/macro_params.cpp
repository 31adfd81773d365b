#include "render/macro_params.h"

#include <yaml-cpp/yaml.h>

#include <string>

namespace vitrine::render {
namespace {

constexpr size_t kMaxParams = 64;
constexpr size_t kMaxNameLength = 64;

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  const char first = name.front();
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '_'))
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

}  // namespace

MacroParams parse_macro_params(std::string_view body, int first_line, int column_offset) {
  MacroParams result;
  auto fail = [&](const YAML::Mark& mark, std::string message) {
    const int line = mark.line >= 0 ? first_line + mark.line : first_line;
    const int column = (mark.column >= 0 ? mark.column + 1 : 1) + column_offset;
    result.params.clear();
    result.error = PageError{line, column, std::move(message)};
    return result;
  };
  if (body.size() > kMaxMacroBodyBytes)
    return fail(YAML::Mark(), "macro parameters are longer than 64 KiB; shorten them");

  YAML::Node root;
  try {
    root = YAML::Load(std::string(body));
  } catch (const YAML::Exception& e) {
    return fail(e.mark, "invalid YAML in macro parameters: " + e.msg);
  }
  try {
    if (!root || root.IsNull()) return result;  // no parameters
    if (!root.IsMap())
      return fail(root.Mark(), "macro parameters must be a map of `name: value` lines");
    for (auto it = root.begin(); it != root.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      if (!key.IsScalar()) return fail(key.Mark(), "a parameter name must be a plain word");
      const std::string name = key.Scalar();
      if (!valid_name(name))
        return fail(key.Mark(), "parameter name '" + name +
                                    "' must start with a letter and use letters, digits, _ or -");
      if (result.params.count(name))
        return fail(key.Mark(), "parameter '" + name + "' is given twice; keep one");
      if (result.params.size() >= kMaxParams)
        return fail(key.Mark(), "more than 64 parameters; a macro takes far fewer");
      std::string text;
      if (!value || value.IsNull()) {
        text.clear();
      } else if (value.IsScalar()) {
        text = value.Scalar();
      } else if (value.IsSequence()) {
        bool first = true;
        for (const auto& item : value) {
          if (!item.IsScalar())
            return fail(item.Mark(), "parameter '" + name +
                                         "': list items must be plain values, not lists or maps");
          if (item.Scalar().find(',') != std::string::npos)
            return fail(item.Mark(), "parameter '" + name +
                                         "': a list item contains ','; write the value as one "
                                         "string instead of a list");
          if (!first) text += ',';
          first = false;
          text += item.Scalar();
        }
      } else {
        return fail(value.Mark(),
                    "parameter '" + name + "' must be a value or a list of values, not a map");
      }
      result.params.emplace(name, std::move(text));
    }
  } catch (const YAML::Exception& e) {
    return fail(e.mark, "invalid macro parameters: " + e.msg);
  }
  return result;
}

}  // namespace vitrine::render
