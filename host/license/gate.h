// Feature gates: answers "is FEATURE licensed?" for a space, and reports
// every answer to an observer so each license decision is audited (P9).
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "license/license.h"

namespace vitrine::license {

struct GateDecision {
  std::string space;
  std::string feature;
  bool licensed = false;
  std::string reason;       // why not, or which license allowed it
  std::string plugin = {};  // the plugin that asked, when the caller knows it
};

class LicenseGate {
 public:
  using Observer = std::function<void(const GateDecision&)>;

  LicenseGate() = default;
  // `license` is a verified license (or none); `load_error` explains why
  // there is none when a file was configured but refused.
  void install(std::optional<License> license, std::string load_error = {});
  void set_observer(Observer observer);

  // [thread-safe]
  GateDecision check(const std::string& space, const std::string& feature, int64_t now,
                     const std::string& plugin = {}) const;

  std::optional<License> current() const;

 private:
  mutable std::mutex mu_;
  std::optional<License> license_;
  std::string load_error_;
  Observer observer_;
};

}  // namespace vitrine::license
