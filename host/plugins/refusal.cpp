#include "plugins/refusal.h"

namespace vitrine::plugins {

std::string format(const Refusal& r) {
  if (r.plugin.empty()) {
    return "plugins directory " + r.path.string() + ": " + r.message + " [" + r.rule + "]";
  }
  return "plugin '" + r.plugin + "' (" + r.path.string() + "): " + r.message + " [" + r.rule + "]";
}

}  // namespace vitrine::plugins
