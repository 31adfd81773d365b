#include "license/clock_guard.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "license/verifier.h"

namespace vitrine::license {

ClockGuard::ClockGuard(std::filesystem::path path, int64_t tolerance_s)
    : path_(std::move(path)), tolerance_s_(tolerance_s) {}

bool ClockGuard::check_and_advance(int64_t now, std::string& reason) {
  int64_t mark = 0;
  {
    std::ifstream in(path_);
    in >> mark;
  }
  if (now + tolerance_s_ < mark) {
    reason = "the system clock (" + format_rfc3339(now) + ") is behind a time this host has " +
             "already seen (" + format_rfc3339(mark) +
             "); fix the clock before licensed features can be used";
    return false;
  }
  if (now <= mark) return true;
  // Write-then-rename so a crash never leaves a truncated mark (which would
  // read as 0 and disable the guard).
  const auto tmp = path_.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  // Cannot raise the mark (read-only data dir): the check above still used
  // the last persisted mark, so this only loses the newest progress.
  if (fd < 0) return true;
  const std::string text = std::to_string(now) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, path_, ec);
  return true;
}

}  // namespace vitrine::license
