// Reporting denied system calls: the worker's seccomp filter traps every call
// off the allowlist (SIGSYS); the handler makes the call fail with EPERM and
// counts it, and the worker sends the counts to the host after each render,
// where they become a log line and a metric
// (docs/security/isolation.md, "The syscall allowlist").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vitrine::worker {

// The `log` IPC message level that marks a denied-syscall report rather than
// a plugin's own log line (plugin levels are 0..3). Its message is
// "NR COUNT": the syscall number and how often it was denied.
inline constexpr int32_t kSyscallDeniedLogLevel = 1000;

// Installs the SIGSYS handler. Must run before the filter is loaded.
// Returns false when this architecture has no support (then a denied call
// still fails, through the filter's fallback EPERM action, but unreported).
bool install_denied_syscall_reporter();

// True when install_denied_syscall_reporter() can work on this architecture.
bool denied_syscall_reporting_supported();

struct DeniedSyscall {
  int nr = 0;
  uint32_t count = 0;
};

// Takes the counts gathered since the last call (async-signal-safe counters,
// read from normal code).
std::vector<DeniedSyscall> take_denied_syscalls();

// Host side: parses a report message ("NR COUNT"); false when malformed.
bool parse_denied_report(const std::string& message, DeniedSyscall& out);

}  // namespace vitrine::worker
