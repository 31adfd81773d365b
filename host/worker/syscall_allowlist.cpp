#include "worker/syscall_allowlist.h"

#include <seccomp.h>

#include <cstdio>
#include <cstdlib>

namespace vitrine::worker {
namespace {

using A = ArgFilter;

// Keep docs/security/isolation.md's table in step (a test compares them).
constexpr AllowedSyscall kAllowed[] = {
    // Descriptors the worker already holds.
    {"read", A::none, "reads from held descriptors: the IPC socket, opened library and data files"},
    {"readv", A::none, "vectored read (stdio, the dynamic loader)"},
    {"pread64", A::none, "the dynamic loader reads ELF headers at offsets"},
    {"write", A::none,
     "frames to the IPC socket and diagnostics to stderr; no file can be opened for writing"},
    {"writev", A::none, "vectored write (stdio, diagnostics to stderr)"},
    {"close", A::none, "closing held descriptors"},
    {"close_range", A::none, "a forked worker closes every descriptor but its socket"},
    {"dup", A::none, "duplicating held descriptors"},
    {"dup2", A::none, "a forked worker moves its socket to fd 3"},
    {"dup3", A::none, "as dup2, with close-on-exec"},
    {"fcntl", A::none, "descriptor flags (close-on-exec, non-blocking) and locks on held files"},
    {"lseek", A::none, "file positions on opened files"},
    {"sendto", A::ipc_socket, "send() of IPC frames, on the inherited socket only"},
    {"recvfrom", A::ipc_socket, "recv() of IPC frames, on the inherited socket only"},
    {"sendmsg", A::ipc_socket, "IPC frames, on the inherited socket only"},
    {"recvmsg", A::ipc_socket,
     "a zygote receives each new worker's socket (SCM_RIGHTS), on the inherited socket only"},
    {"poll", A::none, "the zygote and the watchdog wait on the IPC socket"},
    {"ppoll", A::none, "poll() with a signal mask (glibc implements poll with it on some builds)"},
    {"ioctl", A::ioctl_request, "isatty() (TCGETS) and descriptor queries (FIONREAD, FIONBIO)"},
    // Reading files: Landlock limits where, the flags filter how.
    {"open", A::read_only_open, "read-only opens (legacy entry point)"},
    {"openat", A::read_only_open,
     "read-only opens: the plugin library, its dependencies, its data, time zones"},
    {"openat2", A::enosys, "answered ENOSYS: its flags are in memory; glibc falls back to openat"},
    {"fstat", A::none, "file metadata of held descriptors"},
    {"newfstatat", A::none, "file metadata (stat, fstatat; the dynamic loader, std::filesystem)"},
    {"stat", A::none, "file metadata (legacy entry point)"},
    {"lstat", A::none, "file metadata without following links (legacy entry point)"},
    {"statx", A::none, "file metadata (newer glibc and libstdc++)"},
    {"access", A::none, "the dynamic loader probes library paths"},
    {"faccessat", A::none, "as access (the loader probes paths)"},
    {"faccessat2", A::none, "as access (newer glibc)"},
    {"readlink", A::none, "std::filesystem and the loader resolve links (/proc/self/exe)"},
    {"readlinkat", A::none, "as readlink"},
    {"getdents64", A::none, "listing a directory the worker may read (its own plugin directory)"},
    {"getcwd", A::none, "std::filesystem::absolute and the loader"},
    // Memory.
    {"brk", A::none, "malloc's heap"},
    {"mmap", A::none, "malloc, thread stacks, and the dynamic loader mapping libraries"},
    {"munmap", A::none, "releasing mappings"},
    {"mprotect", A::none, "the dynamic loader (RELRO) and thread stack guards"},
    {"mremap", A::none, "realloc of large blocks"},
    {"madvise", A::none, "malloc returns memory (malloc_trim, thread exit)"},
    // Threads and synchronisation.
    {"clone", A::thread_clone,
     "new threads only (CLONE_THREAD); a zygote may also fork with CLONE_PARENT. A new process is "
     "refused with EPERM, not trapped: glibc's posix_spawn makes this call with every signal "
     "blocked, where a trap would kill the worker"},
    {"clone3", A::enosys, "answered ENOSYS: its flags are in memory; glibc falls back to clone"},
    {"futex", A::none, "mutexes, condition variables, thread joins"},
    {"set_robust_list", A::none, "glibc registers each new thread's robust mutex list"},
    {"rseq", A::none, "glibc registers restartable sequences for each new thread"},
    {"set_tid_address", A::none, "thread start-up (glibc)"},
    {"sched_yield", A::none, "spin-wait back-off in locks"},
    {"sched_getaffinity", A::none,
     "std::thread::hardware_concurrency and sysconf(_SC_NPROCESSORS)"},
    {"exit", A::none, "a thread ends"},
    {"exit_group", A::none, "the worker ends (_exit)"},
    {"restart_syscall", A::none, "the kernel restarts an interrupted sleep"},
    // Signals.
    {"rt_sigaction", A::none, "signal handlers (the SIGSYS reporter, sanitizers, plugins)"},
    {"rt_sigprocmask", A::none, "signal masks (glibc around thread creation and raise())"},
    {"rt_sigreturn", A::none, "returning from a signal handler"},
    {"sigaltstack", A::none, "alternate signal stacks (glibc, sanitizers)"},
    {"kill", A::self_signal, "raise() and abort(), only to the worker itself"},
    {"tgkill", A::self_signal, "raise(), abort() and glibc's setxid broadcast, only within itself"},
    {"rt_sigqueueinfo", A::self_signal, "sigqueue(), only to the worker itself"},
    {"rt_tgsigqueueinfo", A::self_signal, "as rt_sigqueueinfo, for one thread of the worker"},
    // Process information and time.
    {"getpid", A::none, "own process id (the signal rules, logs)"},
    {"gettid", A::none, "own thread id (raise(), logs)"},
    {"getppid", A::none, "the watchdog and the zygote notice a vanished host"},
    {"getuid", A::none, "reading own identity (never changing it)"},
    {"geteuid", A::none, "reading own identity, as getuid"},
    {"getgid", A::none, "reading own identity, as getuid"},
    {"getegid", A::none, "reading own identity, as getuid"},
    {"getresuid", A::none, "reading own identity, as getuid"},
    {"getresgid", A::none, "reading own identity, as getuid"},
    {"getgroups", A::none, "reading own identity, as getuid"},
    {"getrlimit", A::none, "reading own limits (thread stack size)"},
    {"prlimit64", A::own_process,
     "reading own limits; lowering is harmless and raising needs a capability the worker lacks"},
    {"getrusage", A::none, "own CPU time (std::clock, benchmarks in plugins)"},
    {"clock_gettime", A::none, "time (when the vDSO cannot answer)"},
    {"clock_getres", A::none, "clock resolution"},
    {"gettimeofday", A::none, "time (legacy)"},
    {"time", A::none, "time (legacy)"},
    {"nanosleep", A::none, "sleeping (std::this_thread::sleep_for, the watchdog)"},
    {"clock_nanosleep", A::none, "sleeping (newer glibc)"},
    {"getrandom", A::none, "random numbers (std::random_device, malloc's heap hardening)"},
    {"prctl", A::prctl_option,
     "thread names, naming anonymous mappings (glibc malloc), reading the dumpable flag, "
     "securebits, bounding set and seccomp mode; clearing the dumpable flag; stacking a filter"},
    {"landlock_create_ruleset", A::none,
     "a forked worker applies its own Landlock ruleset; a ruleset can only restrict further"},
    {"landlock_add_rule", A::none, "as landlock_create_ruleset"},
    {"landlock_restrict_self", A::none, "as landlock_create_ruleset"},
    {"seccomp", A::none,
     "a forked worker stacks its own, stricter filter; a filter can only restrict further"},
};

// AddressSanitizer and UndefinedBehaviorSanitizer builds only.
constexpr AllowedSyscall kSanitizer[] = {
    {"pipe2", A::none,
     "the sanitizer runtime probes whether memory is readable by writing it into a pipe "
     "(IsAccessibleMemoryRange); refused, the worker exits with status 1 before loading the "
     "plugin"},
};

}  // namespace

std::span<const AllowedSyscall> syscall_allowlist() { return kAllowed; }
std::span<const AllowedSyscall> sanitizer_syscall_allowlist() { return kSanitizer; }

const char* syscall_name(int nr, char (&buffer)[32]) {
  // libseccomp's table lookup; the returned name is owned by the caller.
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
  if (name == nullptr) {
    std::snprintf(buffer, sizeof buffer, "syscall-%d", nr);
  } else {
    std::snprintf(buffer, sizeof buffer, "%s", name);
    ::free(name);
  }
  return buffer;
}

}  // namespace vitrine::worker
