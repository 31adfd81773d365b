// vitrine-worker: runs one renderer plugin in a locked-down process on
// behalf of the host (docs/security/isolation.md). Started only by the host,
// with the IPC socket on the descriptor given by --ipc-fd.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "worker/worker_process.h"

int main(int argc, char** argv) {
  // A worker never outlives its host, even while its plugin spins: a
  // watchdog thread exits the process once the parent is gone (reparented).
  // Not PR_SET_PDEATHSIG: that fires when the host *thread* that spawned
  // the worker exits, and the host spawns workers from render threads.
  const pid_t parent = ::getppid();
  if (parent == 1) return 3;
  std::thread([parent] {
    while (::getppid() == parent) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::_Exit(3);
  }).detach();
  int fd = -1;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--ipc-fd") == 0) fd = std::atoi(argv[i + 1]);
  }
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
  return vitrine::worker::run_worker(fd);
}
