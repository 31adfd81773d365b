#include "plugins/refusal.h"

namespace vitrine::plugins {

std::string format(const Refusal& r) {
  return "plugin '" + r.plugin + "' (" + r.path.string() + "): " + r.message + " [" + r.rule + "]";
}

}  // namespace vitrine::plugins
