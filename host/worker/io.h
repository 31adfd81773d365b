// Blocking socket helpers shared by both ends of the worker IPC.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <string_view>

#include "worker/ipc.h"

namespace vitrine::worker {

// Writes all of `bytes`; never raises SIGPIPE (MSG_NOSIGNAL). False when the
// peer is gone.
inline bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads once into `reader`. >0 bytes read, 0 peer closed, <0 error.
inline ssize_t receive_some(int fd, ipc::FrameReader& reader) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) reader.feed(std::string_view(buf, static_cast<size_t>(n)));
    return n;
  }
}

}  // namespace vitrine::worker
