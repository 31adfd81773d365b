// A persisted high-water mark of the time the host has seen, so that an
// expired license cannot be revived by setting the clock back.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace vitrine::license {

class ClockGuard {
 public:
  // `path` holds the mark (created 0600 on first use). Small backwards steps
  // (NTP corrections) within `tolerance_s` are accepted.
  explicit ClockGuard(std::filesystem::path path, int64_t tolerance_s = 3600);

  // Returns false (and fills `reason`) when `now` is more than the tolerance
  // before the mark; otherwise raises the mark to `now` and returns true.
  bool check_and_advance(int64_t now, std::string& reason);

 private:
  std::filesystem::path path_;
  int64_t tolerance_s_;
};

}  // namespace vitrine::license
