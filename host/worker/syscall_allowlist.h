// The worker's seccomp allowlist: every system call a worker may make, with
// the reason it is needed and the argument filter it gets. Anything off the
// list is denied and reported (docs/security/isolation.md, "The syscall
// allowlist"; the table there is checked against this one by
// WorkerSyscallAllowlist.TheDocumentedTableIsTheCodesTable).
#pragma once

#include <span>

namespace vitrine::worker {

// How a listed call's arguments are filtered.
enum class ArgFilter {
  none,            // allowed with any arguments
  ipc_socket,      // only on the inherited IPC socket (arg 0 == fd 3)
  read_only_open,  // no O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND in the flags
  self_signal,     // only to this process (arg 0 == own pid; in a zygote: set per child)
  thread_clone,    // only with CLONE_THREAD (a zygote: or CLONE_PARENT); else EPERM
  ioctl_request,   // only the terminal/descriptor queries listed in the docs
  prctl_option,    // only the harmless options listed in the docs
  own_process,     // arg 0 == 0 (this process)
  enosys,          // answered ENOSYS: flags in memory seccomp cannot read; glibc falls back
};

struct AllowedSyscall {
  const char* name;
  ArgFilter filter;
  const char* reason;
};

// Every worker: glibc, libstdc++, the dynamic loader, the host's worker code
// and the plugins.
std::span<const AllowedSyscall> syscall_allowlist();

// Added only in AddressSanitizer builds (VITRINE_WORKER_ASAN): the sanitizer
// runtime needs these for its own bookkeeping and reports; release builds
// never allow them.
std::span<const AllowedSyscall> sanitizer_syscall_allowlist();

// The name of syscall `nr` on this architecture, or "syscall-N".
const char* syscall_name(int nr, char (&buffer)[32]);

}  // namespace vitrine::worker
