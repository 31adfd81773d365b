#include "server/page_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>

namespace vitrine::server {
namespace {

constexpr std::size_t kMaxFiles = 4096;

int64_t mtime_ns(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace

std::shared_ptr<const std::string> PageFiles::read(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uintmax_t>(st.st_size) > max_file_bytes_) {
    return nullptr;
  }
  const std::string key = file.string();
  {
    std::shared_lock lock(mu_);
    auto it = files_.find(key);
    if (it != files_.end() && it->second.inode == st.st_ino &&
        it->second.size == static_cast<uint64_t>(st.st_size) &&
        it->second.mtime_ns == mtime_ns(st)) {
      return it->second.content;
    }
  }
  // Read through the descriptor and check again what was opened: the path
  // may have been replaced between stat() and open().
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat opened {};
  std::string content;
  bool ok = ::fstat(fd, &opened) == 0 && S_ISREG(opened.st_mode) &&
            static_cast<std::uintmax_t>(opened.st_size) <= max_file_bytes_;
  if (ok) {
    content.resize(static_cast<std::size_t>(opened.st_size));
    std::size_t done = 0;
    while (ok && done < content.size()) {
      const ssize_t n = ::read(fd, content.data() + done, content.size() - done);
      if (n < 0) ok = false;
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    content.resize(done);
  }
  ::close(fd);
  if (!ok) return nullptr;
  auto shared = std::make_shared<const std::string>(std::move(content));
  std::unique_lock lock(mu_);
  if (files_.size() >= kMaxFiles) files_.clear();
  files_[key] = Entry{shared, static_cast<uint64_t>(opened.st_ino),
                      static_cast<uint64_t>(opened.st_size), mtime_ns(opened)};
  return shared;
}

}  // namespace vitrine::server
