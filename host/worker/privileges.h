// Least privilege for a worker: every capability dropped and, when the host
// runs as root, an unprivileged user (docs/security/isolation.md,
// "Capabilities and the worker user").
#pragma once

#include <sys/types.h>

#include <string>

namespace vitrine::worker {

// The identity a worker switches to. `switch_user` is false when the host is
// not root: the worker then keeps the host's (already unprivileged) user.
struct WorkerIdentity {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Host side: resolves `plugins.worker_user` (`user`) when this process runs
// as root: the user's uid and primary group. Returns "" or an error that
// names the key and the fix [worker-user] (no such user, or a user with
// uid 0). When the host is not root, `out.switch_user` stays false.
std::string resolve_worker_user(const std::string& user, WorkerIdentity& out);

// Worker side: the identity the host asked for on the command line
// (`--uid N --gid N`); set once by main() before anything else runs.
void set_requested_identity(const WorkerIdentity& identity);
const WorkerIdentity& requested_identity();

// Worker side, before any plugin code runs and while the process is still
// single-threaded: clears the ambient set, drops every capability from the
// bounding set (when the process holds CAP_SETPCAP), locks the securebits so
// that uid 0 regains nothing, switches to `identity` (supplementary groups
// cleared, then group, then user), clears the effective, permitted and
// inheritable sets, and then verifies all of it. Returns "" or what failed;
// a failure is fatal for the worker [worker-privileges]. `applied` gets a
// short description, e.g. "caps(0) user(65534:65534)".
std::string drop_privileges(const WorkerIdentity& identity, std::string& applied);

}  // namespace vitrine::worker
