#include "store/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

namespace vitrine::store {
namespace {

// The pid stored in the lock file, or nullopt when the file is empty or
// holds anything else.
std::optional<long> read_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return std::nullopt;
  char* end = nullptr;
  const long pid = std::strtol(buf, &end, 10);
  if (end == buf || pid <= 0) return std::nullopt;
  return pid;
}

bool alive(long pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

}  // namespace

Result<DataDirLock> DataDirLock::acquire(const std::filesystem::path& data_dir) {
  if (::mkdir(data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(Errc::io, "cannot create data directory " + data_dir.string() + ": " +
                                    std::strerror(errno) +
                                    "; set server.data_dir to a writable "
                                    "directory");
  }
  auto path = data_dir / kServeLockFileName;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return make_error(Errc::io, "cannot open the server lock file " + path.string() + ": " +
                                    std::strerror(errno) +
                                    "; make the data directory writable by the user running "
                                    "vitrine serve");
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const auto pid = read_pid(fd);
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return make_error(Errc::io, "cannot lock " + path.string() + ": " + std::strerror(err) +
                                      "; put the data directory on a local file system");
    }
    const std::string who =
        pid ? "vitrine serve (pid " + std::to_string(*pid) + ")" : "another vitrine serve";
    return make_error(Errc::conflict,
                      who + " is already running on data directory " + data_dir.string() +
                          " (it holds " + path.string() +
                          "); stop it first, or give this server its own server.data_dir. "
                          "Commands such as 'vitrine spaces' keep working beside it");
  }
  // The lock is ours: whatever pid is in the file belongs to a server that
  // died without clearing it (the kernel released its flock).
  const auto stale = read_pid(fd);
  const std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    const int err = errno;
    ::close(fd);
    return make_error(Errc::io, "cannot write the server lock file " + path.string() + ": " +
                                    std::strerror(err) + "; check free space and permissions");
  }
  return DataDirLock(fd, std::move(path), stale);
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), stale_pid_(other.stale_pid_) {
  other.fd_ = -1;
}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    stale_pid_ = other.stale_pid_;
    other.fd_ = -1;
  }
  return *this;
}

DataDirLock::~DataDirLock() { release(); }

void DataDirLock::release() {
  if (fd_ < 0) return;
  // Clear the pid while still holding the lock, so nobody reads a pid that
  // is about to stop meaning anything.
  (void)::ftruncate(fd_, 0);
  ::close(fd_);
  fd_ = -1;
}

std::optional<long> serve_lock_holder(const std::filesystem::path& data_dir) {
  const auto path = data_dir / kServeLockFileName;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  const auto pid = read_pid(fd);
  ::close(fd);
  if (!pid || !alive(*pid)) return std::nullopt;
  return pid;
}

}  // namespace vitrine::store
