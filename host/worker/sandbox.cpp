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
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>

#include "worker/privileges.h"
#include "worker/syscall_allowlist.h"
#include "worker/syscall_report.h"

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
//   zygote: the allowlist, except that process creation with CLONE_PARENT is
//           allowed and signals are not limited to the caller (those rules
//           name the caller's own pid, which differs in each child);
//   child:  those two limits, for the child's own pid.
enum class FilterKind { whole, zygote, child };

// What a call off the list gets: a trap the worker turns into EPERM plus a
// report to the host (worker/syscall_report.h); plain EPERM where this
// architecture has no trap support.
uint32_t deny_action() {
  return denied_syscall_reporting_supported() ? SCMP_ACT_TRAP : SCMP_ACT_ERRNO(EPERM);
}

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif

// The prctl options a worker may use: naming threads and anonymous
// mappings, reading its own state, clearing (never setting) the dumpable
// flag, and stacking a seccomp filter (which can only restrict further).
void allow_prctl(Filter& f) {
  for (unsigned long option :
       {static_cast<unsigned long>(PR_SET_NAME), static_cast<unsigned long>(PR_GET_NAME),
        static_cast<unsigned long>(PR_SET_VMA), static_cast<unsigned long>(PR_GET_DUMPABLE),
        static_cast<unsigned long>(PR_GET_NO_NEW_PRIVS), static_cast<unsigned long>(PR_GET_SECCOMP),
        static_cast<unsigned long>(PR_SET_SECCOMP), static_cast<unsigned long>(PR_CAPBSET_READ),
        static_cast<unsigned long>(PR_GET_SECUREBITS)}) {
    f.add(SCMP_ACT_ALLOW, "prctl", {SCMP_A0(SCMP_CMP_EQ, option)});
  }
  f.add(SCMP_ACT_ALLOW, "prctl", {SCMP_A0(SCMP_CMP_EQ, PR_SET_DUMPABLE), SCMP_A1(SCMP_CMP_EQ, 0)});
  f.add(SCMP_ACT_ALLOW, "prctl",
        {SCMP_A0(SCMP_CMP_EQ, PR_CAP_AMBIENT), SCMP_A1(SCMP_CMP_EQ, PR_CAP_AMBIENT_IS_SET)});
}

// One allowlist entry, with its argument filter.
void allow(Filter& f, const AllowedSyscall& s, FilterKind kind, int ipc_fd) {
  constexpr uint64_t kWriteFlags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
  const auto self = static_cast<scmp_datum_t>(getpid());
  switch (s.filter) {
    case ArgFilter::none:
      f.add(SCMP_ACT_ALLOW, s.name);
      return;
    case ArgFilter::ipc_socket:
      f.add(SCMP_ACT_ALLOW, s.name, {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(ipc_fd))});
      return;
    case ArgFilter::read_only_open:
      if (std::strcmp(s.name, "open") == 0) {
        f.add(SCMP_ACT_ALLOW, s.name, {SCMP_A1(SCMP_CMP_MASKED_EQ, kWriteFlags, 0)});
      } else {
        f.add(SCMP_ACT_ALLOW, s.name, {SCMP_A2(SCMP_CMP_MASKED_EQ, kWriteFlags, 0)});
      }
      return;
    case ArgFilter::self_signal:
      // A zygote's children each stack the rule for their own pid.
      if (kind == FilterKind::zygote) {
        f.add(SCMP_ACT_ALLOW, s.name);
      } else {
        f.add(SCMP_ACT_ALLOW, s.name, {SCMP_A0(SCMP_CMP_EQ, self)});
      }
      return;
    case ArgFilter::thread_clone:
      f.add(SCMP_ACT_ALLOW, s.name, {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)});
      if (kind == FilterKind::zygote) {
        f.add(SCMP_ACT_ALLOW, s.name, {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_PARENT, CLONE_PARENT)});
        f.add(SCMP_ACT_ERRNO(EPERM), s.name,
              {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | CLONE_PARENT, 0)});
      } else {
        f.add(SCMP_ACT_ERRNO(EPERM), s.name, {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)});
      }
      return;
    case ArgFilter::ioctl_request:
      for (unsigned long request :
           {static_cast<unsigned long>(TCGETS), static_cast<unsigned long>(FIONREAD),
            static_cast<unsigned long>(FIONBIO), static_cast<unsigned long>(FIOCLEX),
            static_cast<unsigned long>(FIONCLEX)}) {
        f.add(SCMP_ACT_ALLOW, s.name, {SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, request)});
      }
      return;
    case ArgFilter::prctl_option:
      allow_prctl(f);
      return;
    case ArgFilter::own_process:
      f.add(SCMP_ACT_ALLOW, s.name, {SCMP_A0(SCMP_CMP_EQ, 0)});
      return;
    case ArgFilter::enosys:
      f.add(SCMP_ACT_ERRNO(ENOSYS), s.name);
      return;
  }
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

std::string build_and_load_filter(FilterKind kind, int ipc_fd) {
  Filter f;
  if (kind == FilterKind::child) {
    // Stacked on the zygote's allowlist, so default allow here: this filter
    // only narrows the two rules the zygote had to leave open.
    f.ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (f.ctx == nullptr) return "seccomp_init failed";
    seccomp_attr_set(f.ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    // no_new_privs is inherited from the zygote; libseccomp would set it
    // again with a prctl the allowlist does not need otherwise.
    seccomp_attr_set(f.ctx, SCMP_FLTATR_CTL_NNP, 0);
    f.add(SCMP_ACT_ERRNO(EPERM), "clone", {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)});
    const auto self = static_cast<scmp_datum_t>(getpid());
    for (const char* name : {"kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"}) {
      f.add(deny_action(), name, {SCMP_A0(SCMP_CMP_NE, self)});
    }
    return load(f);
  }
  // Default deny: only what syscall_allowlist() names, each call for its
  // documented reason (docs/security/isolation.md, "The syscall allowlist").
  f.ctx = seccomp_init(deny_action());
  if (f.ctx == nullptr) return "seccomp_init failed";
  // Other architectures' syscall tables (int 0x80, x32) are killed.
  seccomp_attr_set(f.ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  // Every thread, not only the caller (a forked worker's watchdog thread
  // already exists when its filter is stacked).
  seccomp_attr_set(f.ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  for (const auto& s : syscall_allowlist()) allow(f, s, kind, ipc_fd);
  if (built_with_asan()) {
    for (const auto& s : sanitizer_syscall_allowlist()) allow(f, s, kind, ipc_fd);
  }
  return load(f);
}

// Trees every worker may read: the dynamic loader's libraries and cache, the
// time-zone database, and the worker's own /proc entry (the sanitizers read
// /proc/self/maps).
constexpr const char* kSystemReadable[] = {
    "/usr",           "/lib",          "/lib64",     "/lib32",    "/etc/ld.so.cache",
    "/etc/localtime", "/etc/timezone", "/proc/self", "/dev/null", "/dev/urandom"};

// The allowed trees, opened (O_PATH) with the caller's current access
// rights: before the user switch, so that a plugin directory only root may
// enter can still be named in a rule. Absent paths are skipped.
std::vector<int> open_landlock_paths(const std::vector<std::string>& extra, bool with_proc_self) {
  std::vector<std::string> paths(std::begin(kSystemReadable), std::end(kSystemReadable));
  if (!with_proc_self) std::erase(paths, std::string("/proc/self"));
  paths.insert(paths.end(), extra.begin(), extra.end());
  std::vector<int> fds;
  for (const auto& path : paths) {
    const int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
    if (fd >= 0) fds.push_back(fd);
  }
  return fds;
}

// Landlock (ABI v1): every file-system access right is handled, and only
// read/execute rights are granted, only beneath the trees in `fds` (which
// are closed). Applies to the calling thread and the threads it creates
// later. Returns "" when the kernel lacks Landlock (then only seccomp's
// read-only rule applies), "landlock" when applied, or an error.
std::string restrict_landlock(std::vector<int> fds, std::string& error) {
  auto close_all = [&] {
    for (int fd : fds) ::close(fd);
    fds.clear();
  };
  const long abi =
      ::syscall(__NR_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 1) {
    close_all();
    return "";
  }
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // all v1 rights
  const int ruleset =
      static_cast<int>(::syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0));
  if (ruleset < 0) {
    error = std::string("landlock_create_ruleset failed: ") + std::strerror(errno);
    close_all();
    return "";
  }
  for (int fd : fds) {
    struct stat st {};
    landlock_path_beneath_attr rule{};
    rule.parent_fd = fd;
    rule.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE;
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      rule.allowed_access |= LANDLOCK_ACCESS_FS_READ_DIR;
    }
    const long rc =
        ::syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
    if (rc != 0) {
      error = std::string("landlock_add_rule failed: ") + std::strerror(errno);
      ::close(ruleset);
      close_all();
      return "";
    }
  }
  close_all();
  const long rc = ::syscall(__NR_landlock_restrict_self, ruleset, 0);
  ::close(ruleset);
  if (rc != 0) {
    error = std::string("landlock_restrict_self failed: ") + std::strerror(errno);
    return "";
  }
  return "landlock";
}

// A zygote's trees, opened before its user switch, for each child to
// restrict itself with (lock_down_child): /proc/self must name the child.
std::vector<int> g_zygote_landlock_fds;

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
  // A zygote only opens the trees: its children apply the ruleset, each with
  // its own /proc/self (a rule names the directory it was opened on, and the
  // zygote's /proc/self is not its children's).
  std::string landlock_error;
  if (o.for_zygote) {
    g_zygote_landlock_fds = open_landlock_paths(o.readable_paths, false);
  } else if (restrict_landlock(open_landlock_paths(o.readable_paths, true), landlock_error) ==
             "landlock") {
    applied("landlock");
  } else if (!landlock_error.empty()) {
    report.error = landlock_error;
    return report;
  }

  // 5. The capabilities and, under root, the user (worker/privileges.h). After
  // Landlock, whose rules are opened with the host's access rights (the
  // plugin's directory may be readable by root only).
  std::string privileges;
  if (auto err = drop_privileges(o.identity, privileges); !err.empty()) {
    report.error = err + " [worker-privileges]";
    return report;
  }
  applied(privileges.c_str());
  // Setting the user resets the dumpable flag to the system default.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

  // 6. seccomp, with the reporter for calls off the list installed first.
  install_denied_syscall_reporter();
  if (auto err =
          build_and_load_filter(o.for_zygote ? FilterKind::zygote : FilterKind::whole, o.ipc_fd);
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
  // The zygote's trees plus this process's own /proc/self.
  std::vector<int> fds = std::move(g_zygote_landlock_fds);
  g_zygote_landlock_fds.clear();
  if (!fds.empty()) {
    if (const int self = ::open("/proc/self", O_PATH | O_CLOEXEC); self >= 0) fds.push_back(self);
    std::string error;
    report.applied = restrict_landlock(std::move(fds), error);
    if (!error.empty()) {
      report.error = error;
      return report;
    }
  }
  if (auto err = build_and_load_filter(FilterKind::child, -1); !err.empty()) {
    report.error = err;
    return report;
  }
  report.ok = true;
  return report;
}

}  // namespace vitrine::worker
