// The outcome of a validation run and its two forms: text for a terminal
// (one line per check, then a summary) and JUnit XML for CI (one testcase
// per macro x case).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "validate/cases.h"
#include "validate/checks.h"

namespace vitrine::validate {

struct CaseResult {
  Case c;
  std::string status;  // plugins::status_name of the render
  std::string rule;
  int64_t elapsed_ms = 0;
  std::vector<Finding> findings;
};

struct Report {
  std::string plugin_id;
  std::string version;
  std::string source;  // what was validated (path as given)
  std::vector<CaseResult> cases;
  std::vector<Finding> plugin_findings;  // loading, unused permissions
  int64_t elapsed_ms = 0;

  int failures() const;  // cases (and plugin findings) with a fail
  int warnings() const;  // warn findings
  bool passed() const { return failures() == 0; }
};

void write_text(std::ostream& out, const Report& r);
void write_junit(std::ostream& out, const std::vector<Report>& reports);

}  // namespace vitrine::validate
