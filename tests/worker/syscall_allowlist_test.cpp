// The worker's seccomp allowlist as a table (host/worker/syscall_allowlist.h):
// every entry names a real call, once, with a reason; the calls the sandbox
// exists to refuse are not on it; and docs/security/isolation.md shows
// exactly this table.
#include "worker/syscall_allowlist.h"

#include <gtest/gtest.h>
#include <seccomp.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "worker/syscall_report.h"

namespace vitrine::worker {
namespace {

std::set<std::string> names(std::span<const AllowedSyscall> table) {
  std::set<std::string> out;
  for (const auto& s : table) out.insert(s.name);
  return out;
}

TEST(WorkerSyscallAllowlist, EveryNameResolvesOnX86_64) {
  for (auto table : {syscall_allowlist(), sanitizer_syscall_allowlist()}) {
    for (const auto& s : table) {
      EXPECT_NE(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, s.name), __NR_SCMP_ERROR)
          << s.name;
    }
  }
}

TEST(WorkerSyscallAllowlist, NoCallIsListedTwice) {
  std::multiset<std::string> all;
  for (auto table : {syscall_allowlist(), sanitizer_syscall_allowlist()}) {
    for (const auto& s : table) all.insert(s.name);
  }
  for (const auto& name : all) EXPECT_EQ(all.count(name), 1u) << name;
}

TEST(WorkerSyscallAllowlist, EachCallHasAReason) {
  for (auto table : {syscall_allowlist(), sanitizer_syscall_allowlist()}) {
    for (const auto& s : table) {
      ASSERT_NE(s.reason, nullptr) << s.name;
      EXPECT_GE(std::string(s.reason).size(), 10u) << s.name << ": '" << s.reason << "'";
    }
  }
}

// What the sandbox exists to refuse never appears on either list.
TEST(WorkerSyscallAllowlist, TheDangerousCallsAreNotOnIt) {
  auto all = names(syscall_allowlist());
  all.merge(names(sanitizer_syscall_allowlist()));
  for (const char* refused : {"socket",
                              "socketpair",
                              "connect",
                              "bind",
                              "listen",
                              "accept4",
                              "execve",
                              "execveat",
                              "fork",
                              "vfork",
                              "ptrace",
                              "process_vm_readv",
                              "process_vm_writev",
                              "pidfd_getfd",
                              "mount",
                              "umount2",
                              "pivot_root",
                              "chroot",
                              "unshare",
                              "setns",
                              "bpf",
                              "perf_event_open",
                              "userfaultfd",
                              "io_uring_setup",
                              "io_uring_enter",
                              "init_module",
                              "finit_module",
                              "kexec_load",
                              "keyctl",
                              "add_key",
                              "setuid",
                              "setgid",
                              "setresuid",
                              "setresgid",
                              "setgroups",
                              "capset",
                              "personality",
                              "unlink",
                              "unlinkat",
                              "rename",
                              "mkdir",
                              "chmod",
                              "chown",
                              "truncate",
                              "memfd_create",
                              "open_by_handle_at",
                              "tkill",
                              "reboot",
                              "syslog",
                              "uname"}) {
    EXPECT_EQ(all.count(refused), 0u) << refused << " is on the allowlist";
  }
}

TEST(WorkerSyscallAllowlist, NamesOfDeniedCallsComeFromTheHostsTable) {
  char buffer[32];
  EXPECT_STREQ(syscall_name(seccomp_syscall_resolve_name("mount"), buffer), "mount");
  EXPECT_STREQ(syscall_name(100000, buffer), "syscall-100000");
  DeniedSyscall d;
  EXPECT_TRUE(parse_denied_report("165 2", d));
  EXPECT_EQ(d.nr, 165);
  EXPECT_EQ(d.count, 2u);
  for (const char* bad : {"", "165", "165 0", "x 1", "165 1 ", "-5 1", "99999 1", "165  1"}) {
    EXPECT_FALSE(parse_denied_report(bad, d)) << "'" << bad << "'";
  }
}

// The names in the first column of the table under `heading` (up to the
// next heading) in docs/security/isolation.md.
std::set<std::string> documented(const std::string& heading) {
  std::ifstream in(VITRINE_ISOLATION_DOC);
  EXPECT_TRUE(in) << VITRINE_ISOLATION_DOC;
  std::set<std::string> out;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("#", 0) == 0) {
      inside = line == heading;
      continue;
    }
    if (!inside || line.rfind("| `", 0) != 0) continue;
    const auto end = line.find('`', 3);
    out.insert(line.substr(3, end - 3));
  }
  return out;
}

TEST(WorkerSyscallAllowlist, TheDocumentedTableIsTheCodesTable) {
  EXPECT_EQ(documented("### Every worker"), names(syscall_allowlist()));
  EXPECT_EQ(documented("### Sanitizer builds only"), names(sanitizer_syscall_allowlist()));
}

}  // namespace
}  // namespace vitrine::worker
