// The closed list of manifest rule ids. Ids are stable: tools, CI filters
// and docs/manifest.md refer to them, so a rule may be added but never
// renamed or reused for a different meaning.
#pragma once

#include <span>
#include <string_view>

#include "manifest/diagnostic.h"

namespace vitrine::manifest {

struct RuleInfo {
  std::string_view id;
  Severity severity;
  std::string_view summary;
};

std::span<const RuleInfo> all_rules();
const RuleInfo* find_rule(std::string_view id);

}  // namespace vitrine::manifest
