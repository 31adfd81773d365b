// A located message about an input file, printed the way compilers print
// them so editors and CI annotate the right line:
//   FILE:LINE:COL: error: MESSAGE [rule-id]
#pragma once

#include <string>

namespace vitrine::manifest {

struct Position {
  int line = 0;    // 1-based; 0 = the whole file
  int column = 0;  // 1-based; 0 = the whole line
};

enum class Severity { error, warning };

struct Diagnostic {
  std::string file;
  Position pos;
  Severity severity = Severity::error;
  std::string message;
  std::string rule;  // stable id, e.g. "egress-public-suffix"
};

// "FILE:LINE:COL: error: MESSAGE [rule]" (LINE/COL omitted when 0).
std::string format(const Diagnostic& d);

}  // namespace vitrine::manifest
