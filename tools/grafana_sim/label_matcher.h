// Alertmanager-style label matchers (name=value, !=, =~, !~), as accepted by
// the `filter` parameter of /api/alertmanager/grafana/api/v2/alerts.
#pragma once

#include <Poco/JSON/Object.h>

#include <optional>
#include <regex>
#include <string>

namespace vitrine::sim {

struct LabelMatcher {
  enum class Op { kEq, kNe, kRe, kNre };
  std::string name;
  Op op = Op::kEq;
  std::string value;
  std::regex re;  // anchored, for kRe / kNre

  bool matches(const Poco::JSON::Object::Ptr& labels) const;
};

// Accepts `name<op>value` with an optionally double-quoted value and
// optional surrounding braces. nullopt when the text is not a matcher.
std::optional<LabelMatcher> parse_label_matcher(const std::string& text);

}  // namespace vitrine::sim
