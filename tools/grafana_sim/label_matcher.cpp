#include "label_matcher.h"

#include <Poco/String.h>

namespace vitrine::sim {

bool LabelMatcher::matches(const Poco::JSON::Object::Ptr& labels) const {
  const std::string actual = labels ? labels->optValue<std::string>(name, "") : "";
  switch (op) {
    case Op::kEq:
      return actual == value;
    case Op::kNe:
      return actual != value;
    case Op::kRe:
      return std::regex_match(actual, re);
    case Op::kNre:
      return !std::regex_match(actual, re);
  }
  return false;
}

std::optional<LabelMatcher> parse_label_matcher(const std::string& raw) {
  std::string text = Poco::trim(raw);
  if (text.size() >= 2 && text.front() == '{' && text.back() == '}') {
    text = Poco::trim(text.substr(1, text.size() - 2));
  }
  const auto pos = text.find_first_of("=!");
  if (pos == std::string::npos || pos == 0) return std::nullopt;
  LabelMatcher m;
  m.name = Poco::trim(text.substr(0, pos));
  std::size_t value_at = 0;
  if (text.compare(pos, 2, "=~") == 0) {
    m.op = LabelMatcher::Op::kRe;
    value_at = pos + 2;
  } else if (text.compare(pos, 2, "!~") == 0) {
    m.op = LabelMatcher::Op::kNre;
    value_at = pos + 2;
  } else if (text.compare(pos, 2, "!=") == 0) {
    m.op = LabelMatcher::Op::kNe;
    value_at = pos + 2;
  } else if (text[pos] == '=') {
    m.op = LabelMatcher::Op::kEq;
    value_at = pos + 1;
  } else {
    return std::nullopt;
  }
  std::string value = Poco::trim(text.substr(value_at));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  m.value = value;
  if (m.op == LabelMatcher::Op::kRe || m.op == LabelMatcher::Op::kNre) {
    try {
      m.re = std::regex(value, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return std::nullopt;
    }
  }
  return m;
}

}  // namespace vitrine::sim
