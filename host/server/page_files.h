// Page files read once and kept while unchanged: a page view costs one
// stat() instead of open, read and close. A file is re-read when its
// inode, size or modification time changes, so an edited page shows on the
// next view.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace vitrine::server {

class PageFiles {
 public:
  explicit PageFiles(std::uintmax_t max_file_bytes = 1 << 20) : max_file_bytes_(max_file_bytes) {}

  // The file's content; nullptr when it is not a regular file, larger than
  // the limit, or cannot be read. [thread-safe]
  std::shared_ptr<const std::string> read(const std::filesystem::path& file);

 private:
  struct Entry {
    std::shared_ptr<const std::string> content;
    uint64_t inode = 0, size = 0;
    int64_t mtime_ns = 0;
  };
  const std::uintmax_t max_file_bytes_;
  std::shared_mutex mu_;  // shared for lookups, exclusive to store
  std::unordered_map<std::string, Entry> files_;
};

}  // namespace vitrine::server
