// One server per data directory. `vitrine serve` holds an advisory flock on
// <data_dir>/serve.lock for its whole life and writes its pid into the file.
// A second server on the same directory is refused with the holder's pid; a
// lock file left by a crashed server (kill -9) holds no lock any more (the
// kernel drops a flock with the process) and is taken over. The CLI never
// takes this lock, so it stays usable beside a running server; it only reads
// the file to say who holds the database when it has to wait too long.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "store/result.h"

namespace vitrine::store {

inline constexpr const char* kServeLockFileName = "serve.lock";

class DataDirLock {
 public:
  // Creates the data directory (mode 0700) when missing, then takes the
  // lock without waiting. Fails with Errc::conflict naming the holder's pid
  // when another live process holds it.
  static Result<DataDirLock> acquire(const std::filesystem::path& data_dir);

  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  // Clears the pid and releases the lock. The file itself stays: removing
  // it could let two servers lock two different files of the same name.
  ~DataDirLock();

  const std::filesystem::path& path() const { return path_; }
  // The pid a crashed server left in the file when this lock took it over.
  std::optional<long> stale_pid() const { return stale_pid_; }

 private:
  DataDirLock(int fd, std::filesystem::path path, std::optional<long> stale_pid)
      : fd_(fd), path_(std::move(path)), stale_pid_(stale_pid) {}
  void release();
  int fd_ = -1;
  std::filesystem::path path_;
  std::optional<long> stale_pid_;
};

// The pid written in <data_dir>/serve.lock when that process is alive, else
// nullopt. Takes no lock (a probe must never make a starting server fail).
std::optional<long> serve_lock_holder(const std::filesystem::path& data_dir);

}  // namespace vitrine::store
