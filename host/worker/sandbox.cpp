#include "worker/sandbox.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>

#if defined(__SANITIZE_ADDRESS__)
#define VITRINE_WORKER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VITRINE_WORKER_ASAN 1
#endif
#endif

namespace vitrine::worker {
namespace {

bool set_limit(int resource, rlim_t value) {
  rlimit lim{value, value};
  return setrlimit(resource, &lim) == 0;
}

// Syscalls refused outright with EPERM: networking (beyond the inherited
// socket), new programs and processes, tracing and other processes' memory,
// file system changes, kernel and namespace administration, and the
// interfaces that could bypass the filter (io_uring) or smuggle descriptors
// (pidfd_getfd).
constexpr std::initializer_list<const char*> kDenied = {
    // network
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    // new programs and processes (clone is filtered by flags below)
    "execve", "execveat", "fork", "vfork",
    // other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_open", "pidfd_getfd",
    "pidfd_send_signal", "kcmp",
    // file system changes
    "creat", "unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir",
    "link", "linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown",
    "fchownat", "lchown", "truncate", "mknod", "mknodat", "utime", "utimes", "utimensat",
    "futimesat", "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr",
    "fremovexattr", "name_to_handle_at", "open_by_handle_at", "memfd_create", "fanotify_init",
    "inotify_init", "inotify_init1",
    // administration, namespaces, kernel interfaces
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "swapon", "swapoff", "reboot",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "bpf",
    "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "acct", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "iopl", "ioperm",
    "quotactl", "lookup_dcookie", "syslog", "vhangup", "open_tree", "move_mount", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr", "landlock_create_ruleset", "personality",
    // io_uring performs open/connect without passing through this filter
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    // identity
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid",
    "setfsgid", "capset"};

// Adds `rule` or records the first failure.
struct Filter {
  scmp_filter_ctx ctx = nullptr;
  int error = 0;
  std::string failed;

  void add(uint32_t action, const char* name, std::initializer_list<scmp_arg_cmp> args = {}) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) return;  // not on this architecture
    int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(args.size()),
                                    args.size() == 0 ? nullptr : args.begin());
    if (rc != 0 && error == 0) {
      error = rc;
      failed = name;
    }
  }
};

// Which filter to build. `whole` is the worker's complete filter. A fork
// server gets `zygote` and each of its children stacks `child` on top; the
// kernel applies every stacked filter and the strictest answer wins, so a
// child ends up with exactly the `whole` rules:
//   zygote: everything except the two rules that cannot hold in a process
//           that forks (new processes allowed with CLONE_PARENT; the signal
//           rules name the caller's own pid, which differs in each child);
//   child:  those two rules, for the child's own pid.
enum class FilterKind { whole, zygote, child };

// Adds the rules that name the calling process: signals only to itself.
void add_self_signal_rules(Filter& f, uint32_t deny) {
  const auto self = static_cast<scmp_datum_t>(getpid());
  f.add(deny, "kill", {SCMP_A0(SCMP_CMP_NE, self)});
  f.add(deny, "tgkill", {SCMP_A0(SCMP_CMP_NE, self)});
  f.add(deny, "rt_sigqueueinfo", {SCMP_A0(SCMP_CMP_NE, self)});
  f.add(deny, "rt_tgsigqueueinfo", {SCMP_A0(SCMP_CMP_NE, self)});
}

std::string load(Filter& f) {
  if (f.error != 0) {
    std::string why = "seccomp rule for " + f.failed + " failed: " + std::strerror(-f.error);
    seccomp_release(f.ctx);
    return why;
  }
  const int rc = seccomp_load(f.ctx);
  seccomp_release(f.ctx);
  if (rc != 0) return std::string("seccomp_load failed: ") + std::strerror(-rc);
  return {};
}

std::string build_and_load_filter(FilterKind kind) {
  // Default allow, explicit deny: see docs/security/isolation.md for why a
  // denylist (the dynamic loader, the C++ runtime and the sanitizers need a
  // long, libc-version-dependent tail of harmless calls).
  Filter f;
  f.ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (f.ctx == nullptr) return "seccomp_init failed";
  // Other architectures' syscall tables (int 0x80, x32) are killed.
  seccomp_attr_set(f.ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  if (kind == FilterKind::child) {
    // clone: threads only (the zygote's filter still allowed CLONE_PARENT).
    f.add(deny, "clone", {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)});
    add_self_signal_rules(f, deny);
    return load(f);
  }
  for (const char* name : kDenied) f.add(deny, name);

  // clone: threads only. A new process (no CLONE_THREAD) is refused; glibc's
  // fork() and posix_spawn() go through here. A zygote may create a process
  // only with CLONE_PARENT (its children belong to the host, which reaps
  // them); each child then refuses that too.
  if (kind == FilterKind::zygote) {
    f.add(deny, "clone", {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | CLONE_PARENT, 0)});
  } else {
    f.add(deny, "clone", {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)});
  }
  // clone3 passes its flags in memory, which seccomp cannot read: answer
  // ENOSYS so that glibc falls back to clone(), which is filtered above.
  f.add(SCMP_ACT_ERRNO(ENOSYS), "clone3");

  // open/openat: read-only. Any write access, creation or truncation is
  // refused. openat2 keeps its flags in memory: ENOSYS (glibc falls back).
  for (unsigned long flag :
       {static_cast<unsigned long>(O_WRONLY), static_cast<unsigned long>(O_RDWR),
        static_cast<unsigned long>(O_CREAT), static_cast<unsigned long>(O_TRUNC),
        static_cast<unsigned long>(O_APPEND)}) {
    f.add(deny, "open", {SCMP_A1(SCMP_CMP_MASKED_EQ, flag, flag)});
    f.add(deny, "openat", {SCMP_A2(SCMP_CMP_MASKED_EQ, flag, flag)});
  }
  f.add(SCMP_ACT_ERRNO(ENOSYS), "openat2");

  // Signals: only to this process (abort(), raise(), sanitizer reports).
  // In a zygote these come with each child's own filter.
  if (kind == FilterKind::whole) add_self_signal_rules(f, deny);
  // tkill names a thread id without its process: refused.
  f.add(deny, "tkill");

  // No typing into the controlling terminal.
  f.add(deny, "ioctl", {SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI)});
  return load(f);
}

// Trees every worker may read: the dynamic loader's libraries and cache, the
// time-zone database, and the worker's own /proc entry (the sanitizers read
// /proc/self/maps).
constexpr const char* kSystemReadable[] = {
    "/usr",           "/lib",          "/lib64",     "/lib32",    "/etc/ld.so.cache",
    "/etc/localtime", "/etc/timezone", "/proc/self", "/dev/null", "/dev/urandom"};

// Landlock (ABI v1): every file-system access right is handled, and only
// read/execute rights are granted, only beneath the allowed trees. Returns
// "" when the kernel lacks Landlock (then only seccomp's read-only rule
// applies), "landlock" when applied, or an error.
std::string apply_landlock(const std::vector<std::string>& extra, std::string& error) {
  const long abi =
      ::syscall(__NR_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 1) return "";
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // all v1 rights
  const int ruleset =
      static_cast<int>(::syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0));
  if (ruleset < 0) {
    error = std::string("landlock_create_ruleset failed: ") + std::strerror(errno);
    return "";
  }
  std::vector<std::string> paths(std::begin(kSystemReadable), std::end(kSystemReadable));
  paths.insert(paths.end(), extra.begin(), extra.end());
  for (const auto& path : paths) {
    const int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) continue;  // absent on this system
    struct stat st {};
    landlock_path_beneath_attr rule{};
    rule.parent_fd = fd;
    rule.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE;
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      rule.allowed_access |= LANDLOCK_ACCESS_FS_READ_DIR;
    }
    const long rc =
        ::syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
    ::close(fd);
    if (rc != 0) {
      error = "landlock_add_rule(" + path + ") failed: " + std::strerror(errno);
      ::close(ruleset);
      return "";
    }
  }
  const long rc = ::syscall(__NR_landlock_restrict_self, ruleset, 0);
  ::close(ruleset);
  if (rc != 0) {
    error = std::string("landlock_restrict_self failed: ") + std::strerror(errno);
    return "";
  }
  return "landlock";
}

}  // namespace

bool built_with_asan() {
#ifdef VITRINE_WORKER_ASAN
  return true;
#else
  return false;
#endif
}

SandboxReport lock_down(const SandboxOptions& o) {
  SandboxReport report;
  auto applied = [&](const char* what) {
    if (!report.applied.empty()) report.applied += ' ';
    report.applied += what;
  };

  // 1. Network namespace: even a socket that slipped through would see only
  // a loopback interface that is down. Best effort.
  if (o.net_namespace) {
    if (unshare(CLONE_NEWNET) == 0) {
      applied("netns");
    } else if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0) {
      applied("userns+netns");
    }
  }

  // 2. rlimits. RLIMIT_FSIZE 0: the only writable descriptors left are the
  // inherited ones; if stderr is a regular file it cannot be grown. The
  // signal is ignored so such a write fails with EFBIG instead of killing.
  signal(SIGXFSZ, SIG_IGN);
  bool limits_ok = set_limit(RLIMIT_FSIZE, 0) && set_limit(RLIMIT_CORE, 0);
  if (o.cpu_seconds != 0) limits_ok = limits_ok && set_limit(RLIMIT_CPU, o.cpu_seconds);
  if (o.max_open_files != 0) limits_ok = limits_ok && set_limit(RLIMIT_NOFILE, o.max_open_files);
  if (o.address_space_bytes != 0 && !built_with_asan()) {
    limits_ok = limits_ok && set_limit(RLIMIT_AS, o.address_space_bytes);
  }
  if (!limits_ok) {
    report.error = std::string("setrlimit failed: ") + std::strerror(errno);
    return report;
  }
  applied(o.address_space_bytes != 0 && !built_with_asan() ? "rlimits(as,cpu,fsize,nofile)"
                                                           : "rlimits(cpu,fsize,nofile)");

  // 3. No privilege gain through exec (which is refused anyway) and the
  // precondition for an unprivileged seccomp filter.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    report.error = std::string("PR_SET_NO_NEW_PRIVS failed: ") + std::strerror(errno);
    return report;
  }
  applied("no_new_privs");
  // Not dumpable: no ptrace attach or /proc/<pid>/mem from same-uid peers.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

  // 4. Landlock: file opens only under the allowed trees, read-only.
  std::string landlock_error;
  if (apply_landlock(o.readable_paths, landlock_error) == "landlock") {
    applied("landlock");
  } else if (!landlock_error.empty()) {
    report.error = landlock_error;
    return report;
  }

  // 5. seccomp.
  if (auto err = build_and_load_filter(o.for_zygote ? FilterKind::zygote : FilterKind::whole);
      !err.empty()) {
    report.error = err;
    return report;
  }
  applied("seccomp");
  report.ok = true;
  return report;
}

SandboxReport lock_down_child() {
  SandboxReport report;
  // Set again rather than trusting that it survived the fork.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (auto err = build_and_load_filter(FilterKind::child); !err.empty()) {
    report.error = err;
    return report;
  }
  report.ok = true;
  return report;
}

}  // namespace vitrine::worker
