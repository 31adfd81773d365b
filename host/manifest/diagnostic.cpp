#include "manifest/diagnostic.h"

namespace vitrine::manifest {

std::string format(const Diagnostic& d) {
  std::string out = d.file;
  if (d.pos.line > 0) {
    out += ':' + std::to_string(d.pos.line);
    if (d.pos.column > 0) out += ':' + std::to_string(d.pos.column);
  }
  out += d.severity == Severity::error ? ": error: " : ": warning: ";
  out += d.message;
  out += " [" + d.rule + "]";
  return out;
}

}  // namespace vitrine::manifest
