// vitrine-worker: runs one renderer plugin in a locked-down process on
// behalf of the host (docs/security/isolation.md). Started only by the host,
// with the IPC socket on the descriptor given by --ipc-fd.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "worker/privileges.h"
#include "worker/worker_process.h"

int main(int argc, char** argv) {
  const pid_t parent = ::getppid();
  if (parent == 1) return 3;
  int fd = -1;
  bool zygote = false;
  // The user and group to switch to (a root host passes the resolved
  // plugins.worker_user; worker/privileges.h).
  vitrine::worker::WorkerIdentity identity;
  bool has_uid = false, has_gid = false;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 < argc && std::strcmp(argv[i], "--ipc-fd") == 0) fd = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--zygote") == 0) zygote = true;
    if (i + 1 < argc && std::strcmp(argv[i], "--uid") == 0) {
      identity.uid = static_cast<uid_t>(std::strtoul(argv[i + 1], nullptr, 10));
      has_uid = true;
    }
    if (i + 1 < argc && std::strcmp(argv[i], "--gid") == 0) {
      identity.gid = static_cast<gid_t>(std::strtoul(argv[i + 1], nullptr, 10));
      has_gid = true;
    }
  }
  identity.switch_user = has_uid && has_gid;
  vitrine::worker::set_requested_identity(identity);
  // The watchdog thread that ends a worker whose host is gone starts in
  // run_worker(), after the lockdown: capabilities and the user are
  // per-thread state, and no thread may keep the privileges the lockdown
  // drops.
  if (fd < 3) {
    std::fprintf(stderr,
                 "vitrine-worker: this program is started by the vitrine host, not by hand "
                 "(expected --ipc-fd N)\n");
    return 2;
  }
  // Nothing but stdio and the IPC socket may cross into the worker, whatever
  // the host process happened to have open without close-on-exec.
  if (fd == vitrine::worker::kWorkerIpcFd) {
    ::close_range(static_cast<unsigned>(fd) + 1, ~0u, 0);
  }
  return zygote ? vitrine::worker::run_zygote(fd) : vitrine::worker::run_worker(fd);
}
