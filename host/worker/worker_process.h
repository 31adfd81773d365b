// The worker side: what `vitrine-worker` runs. It reads a hello frame,
// locks itself down, loads its one plugin with the host's own loader
// (plugins::load_plugin) against a HostTable whose capabilities forward over
// the IPC socket, and then serves render requests one at a time until the
// host closes the socket.
#pragma once

namespace vitrine::worker {

// The descriptor the host passes the IPC socket on.
inline constexpr int kWorkerIpcFd = 3;

// Runs the worker on `ipc_fd`; returns the process exit code (it normally
// never returns: the worker leaves with _exit when the host hangs up).
int run_worker(int ipc_fd);

}  // namespace vitrine::worker
