// vitrine-worker: runs one renderer plugin in a locked-down process on
// behalf of the host (docs/security/isolation.md). Started only by the host,
// with the IPC socket on the descriptor given by --ipc-fd.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "worker/worker_process.h"

int main(int argc, char** argv) {
  const pid_t parent = ::getppid();
  if (parent == 1) return 3;
  int fd = -1;
  bool zygote = false;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 < argc && std::strcmp(argv[i], "--ipc-fd") == 0) fd = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--zygote") == 0) zygote = true;
  }
  // A worker never outlives its host, even while its plugin spins: a
  // watchdog thread exits the process once the parent is gone (reparented).
  // Not PR_SET_PDEATHSIG: that fires when the host *thread* that spawned
  // the worker exits, and the host spawns workers from render threads. A
  // zygote runs no plugin code and must stay single-threaded to fork: it
  // checks its parent between requests instead.
  if (!zygote) vitrine::worker::watch_host(parent);
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
