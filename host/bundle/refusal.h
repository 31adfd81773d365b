// Why a bundle or plugin directory was refused: a rule id from
// docs/security/bundles.md and a reason that says what to do.
#pragma once

#include <string>

namespace vitrine::bundle {

struct Refusal {
  std::string rule;    // e.g. "bundle-signature"
  std::string reason;  // what happened and what to do

  // "REASON [RULE]", the form every CLI message uses.
  std::string text() const { return reason + " [" + rule + "]"; }
};

}  // namespace vitrine::bundle
