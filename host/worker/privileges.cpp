#include "worker/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace vitrine::worker {
namespace {

WorkerIdentity g_requested;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// The highest capability number this kernel knows; newer kernels add
// capabilities, so the compile-time CAP_LAST_CAP may be too low. Asked of
// the kernel directly (PR_CAPBSET_READ fails with EINVAL past the last):
// /proc/sys/kernel/cap_last_cap is outside the Landlock trees.
int last_capability() {
  int cap = 0;
  while (cap < 64 && ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0) ++cap;
  return cap - 1;
}

// capget/capset of the calling thread, version 3 (64 capability bits).
bool get_caps(__user_cap_data_struct (&data)[2]) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return ::syscall(SYS_capget, &header, data) == 0;
}

bool clear_caps() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  return ::syscall(SYS_capset, &header, data) == 0;
}

bool holds(int cap) {
  __user_cap_data_struct data[2]{};
  if (!get_caps(data)) return false;
  return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

}  // namespace

std::string resolve_worker_user(const std::string& user, WorkerIdentity& out) {
  out = WorkerIdentity{};
  if (::geteuid() != 0) return {};
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  const int rc = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) {
    return "plugins.worker_user names the user '" + user +
           "', which does not exist on this host; the host runs as root and will not start "
           "plugin workers without an unprivileged user to run them as. Create the user (e.g. "
           "useradd --system --no-create-home --shell /usr/sbin/nologin " +
           user + ") or set plugins.worker_user to an existing unprivileged user [worker-user]";
  }
  if (found->pw_uid == 0 || found->pw_gid == 0) {
    return "plugins.worker_user names '" + user +
           "', whose uid or primary group is 0 (root); plugin workers must run unprivileged. "
           "Set plugins.worker_user to an unprivileged user such as nobody [worker-user]";
  }
  out.switch_user = true;
  out.uid = found->pw_uid;
  out.gid = found->pw_gid;
  return {};
}

void set_requested_identity(const WorkerIdentity& identity) { g_requested = identity; }
const WorkerIdentity& requested_identity() { return g_requested; }

std::string drop_privileges(const WorkerIdentity& identity, std::string& applied) {
  const int last = last_capability();

  // Ambient capabilities survive execve and setuid to a non-root user: gone
  // first. Needs no privilege (an old kernel without ambient sets: EINVAL).
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return errno_text("clearing the ambient capabilities failed");
  }

  // The bounding set and the securebits can only be changed while holding
  // CAP_SETPCAP, i.e. before the switch below drops it. Without it (an
  // unprivileged host) no capability can be gained anyway: no_new_privs is
  // set before any plugin code runs and execve is refused by seccomp.
  const bool can_setpcap = holds(CAP_SETPCAP);
  if (can_setpcap) {
    for (int cap = 0; cap <= last; ++cap) {
      if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
        return errno_text(
            ("dropping capability " + std::to_string(cap) + " from the bounding set").c_str());
      }
    }
    // uid 0 never implies capabilities again (NOROOT), setuid keeps clearing
    // the capability sets (no SETUID_FIXUP, no KEEP_CAPS), no ambient
    // raising; each bit locked so that nothing later can undo it.
    const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
                               SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                               SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (::prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) {
      return errno_text("setting the securebits failed");
    }
  }

  if (identity.switch_user) {
    // Groups before the user: after setresuid there is no CAP_SETGID left.
    if (::setgroups(0, nullptr) != 0) return errno_text("clearing the supplementary groups failed");
    if (::setresgid(identity.gid, identity.gid, identity.gid) != 0) {
      return errno_text(("switching to group " + std::to_string(identity.gid) + " failed").c_str());
    }
    if (::setresuid(identity.uid, identity.uid, identity.uid) != 0) {
      return errno_text(("switching to user " + std::to_string(identity.uid) + " failed").c_str());
    }
  }
  // Whatever is left (an unprivileged user namespace grants a full set).
  if (!clear_caps()) return errno_text("clearing the capability sets failed");

  // Verify rather than trust each step.
  __user_cap_data_struct data[2]{};
  if (!get_caps(data)) return errno_text("reading the capability sets back failed");
  for (const auto& d : data) {
    if (d.effective != 0 || d.permitted != 0 || d.inheritable != 0) {
      return "a capability is still held after dropping them all";
    }
  }
  for (int cap = 0; cap <= last; ++cap) {
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1) {
      return "ambient capability " + std::to_string(cap) + " is still set";
    }
    if (can_setpcap && ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) {
      return "capability " + std::to_string(cap) + " is still in the bounding set";
    }
  }
  uid_t ruid = 0, euid = 0, suid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0;
  ::getresuid(&ruid, &euid, &suid);
  ::getresgid(&rgid, &egid, &sgid);
  if (identity.switch_user) {
    if (ruid != identity.uid || euid != identity.uid || suid != identity.uid ||
        rgid != identity.gid || egid != identity.gid || sgid != identity.gid ||
        ::getgroups(0, nullptr) != 0) {
      return "the user switch did not take effect";
    }
  } else if (ruid == 0 || euid == 0 || suid == 0) {
    // A root worker without a user to switch to: the host did not resolve
    // plugins.worker_user. Never run a plugin as root.
    return "the worker runs as root but was given no user to switch to (plugins.worker_user)";
  }

  applied = can_setpcap ? "caps(0,bounding,securebits)" : "caps(0)";
  if (identity.switch_user) {
    applied += " user(" + std::to_string(identity.uid) + ":" + std::to_string(identity.gid) + ")";
  }
  return {};
}

}  // namespace vitrine::worker
