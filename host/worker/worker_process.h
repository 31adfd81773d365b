// The worker side: what `vitrine-worker` runs. It reads a hello frame,
// locks itself down, loads its one plugin with the host's own loader
// (plugins::load_plugin) against a HostTable whose capabilities forward over
// the IPC socket, and then serves render requests one at a time until the
// host closes the socket.
#pragma once

#include <sys/types.h>

namespace vitrine::worker {

// The descriptor the host passes the IPC socket on.
inline constexpr int kWorkerIpcFd = 3;

// Runs the worker on `ipc_fd`; returns the process exit code (it normally
// never returns: the worker leaves with _exit when the host hangs up).
int run_worker(int ipc_fd);

// Runs a fork server (zygote) for one plugin on the control socket
// `ctl_fd`: reads a setup hello, applies everything of the sandbox that does
// not depend on the space, answers `ready`, then for each hello that
// arrives with a socket attached (SCM_RIGHTS) forks one worker child
// (CLONE_PARENT: the host's child) and answers `ready` with the child's pid
// in `message`. The child stacks the rest of the filter (lock_down_child),
// loads the plugin and answers its own `ready` on that socket. The zygote
// never opens the plugin library and stays single-threaded. Never returns.
int run_zygote(int ctl_fd);

// Exits the process once the host (`host`, our parent) is gone, even while
// plugin code spins: a background thread polls getppid().
void watch_host(pid_t host);

}  // namespace vitrine::worker
