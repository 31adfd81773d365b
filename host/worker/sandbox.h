// The lockdown a worker applies to itself before any plugin code runs
// (docs/security/isolation.md, "What the sandbox blocks").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "worker/privileges.h"

namespace vitrine::worker {

struct SandboxOptions {
  uint64_t address_space_bytes = 0;  // RLIMIT_AS; 0 = none (always none under ASan)
  uint32_t cpu_seconds = 0;          // RLIMIT_CPU; 0 = none
  uint32_t max_open_files = 0;       // RLIMIT_NOFILE; 0 = unchanged
  bool net_namespace = true;         // try unshare(CLONE_NEWNET)
  int ipc_fd = -1;                   // the one socket the worker keeps
  // A fork server (zygote): its filter lets it create processes with
  // CLONE_PARENT and leaves the signal rules, which name a pid, to each
  // child's lock_down_child(). Only host code runs in a zygote.
  bool for_zygote = false;
  // Landlock: the only trees the worker may open files under (read and
  // execute only). The system library and time-zone trees are always added.
  std::vector<std::string> readable_paths;
  // Who the worker becomes (worker/privileges.h): under a root host, the
  // user of plugins.worker_user; always: no capabilities.
  WorkerIdentity identity;
};

struct SandboxReport {
  bool ok = false;      // false: the worker must not load the plugin
  std::string applied;  // e.g. "rlimits netns no_new_privs seccomp"
  std::string error;    // why it failed
};

// Applies, in this order: a new network namespace (best effort: needs
// CAP_SYS_ADMIN or unprivileged user namespaces), rlimits (address space,
// CPU, file size 0, open files), PR_SET_NO_NEW_PRIVS, a Landlock ruleset
// limiting file opens to read-only access under `readable_paths` and the
// system trees (best effort: Linux >= 5.13), the capability drop and user
// switch (drop_privileges; its failure fails the lockdown), the SIGSYS
// reporter and the seccomp allowlist (worker/syscall_allowlist.h). Must run
// while the process is single-threaded. Irreversible.
SandboxReport lock_down(const SandboxOptions& options);

// In a child forked by a zygote, before any plugin code is mapped and while
// the child is single-threaded: applies the Landlock ruleset over the trees
// the zygote opened (with this child's own /proc/self), stacks the rest of
// the worker filter (clone for threads only, signals only to this pid) and
// clears the dumpable flag again. Together with the inherited zygote
// lockdown this is exactly what lock_down() applies to a worker.
// `applied` is "landlock" when the ruleset was applied.
SandboxReport lock_down_child();

// True when this build runs under AddressSanitizer (RLIMIT_AS is skipped:
// ASan reserves terabytes of shadow address space).
bool built_with_asan();

}  // namespace vitrine::worker
