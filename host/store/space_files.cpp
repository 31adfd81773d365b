#include "store/space_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace vitrine::store {

namespace fs = std::filesystem;

SpaceFiles SpaceFiles::under(const fs::path& data_dir) {
  return SpaceFiles{data_dir / "pages", data_dir / "trash"};
}

SpaceFiles SpaceFiles::beside(const fs::path& pages_dir) {
  return SpaceFiles{pages_dir, pages_dir.parent_path() / "trash"};
}

std::string trash_name(const std::string& key, const std::string& id, int64_t at_ms) {
  const std::time_t secs = static_cast<std::time_t>(at_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char stamp[32];
  const std::size_t n = std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  return key + "-" + id + "-" + std::string(stamp, n);
}

Result<fs::path> move_pages_to_trash(const SpaceFiles& files, const std::string& key,
                                     const std::string& id, int64_t at_ms) {
  const fs::path from = files.pages_dir / key;
  struct stat st {};
  if (::lstat(from.c_str(), &st) != 0) {
    if (errno == ENOENT) return fs::path();
    return make_error(Errc::io, "cannot inspect " + from.string() + ": " + std::strerror(errno) +
                                    "; check the permissions of the pages directory");
  }
  // The trash holds pages of deleted spaces: as private as the data directory.
  if (::mkdir(files.trash_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(Errc::io, "cannot create the trash directory " + files.trash_dir.string() +
                                    ": " + std::strerror(errno) +
                                    "; check the permissions of the data directory");
  }
  const fs::path to = files.trash_dir / trash_name(key, id, at_ms);
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return make_error(Errc::io, "cannot move " + from.string() + " to " + to.string() + ": " +
                                    std::strerror(errno) +
                                    "; the space was not deleted. Keep pages/ and trash/ on the "
                                    "same file system as the data directory");
  }
  return to;
}

Status move_pages_back(const SpaceFiles& files, const std::string& key, const fs::path& trashed) {
  const fs::path to = files.pages_dir / key;
  if (::rename(trashed.c_str(), to.c_str()) != 0) {
    return make_error(Errc::io, "cannot move " + trashed.string() + " back to " + to.string() +
                                    ": " + std::strerror(errno) + "; move it back by hand");
  }
  return ok_status();
}

Status purge_trashed(const fs::path& trashed) {
  std::error_code ec;
  fs::remove_all(trashed, ec);  // does not follow symbolic links
  if (ec) {
    return make_error(Errc::io, "cannot remove " + trashed.string() + ": " + ec.message() +
                                    "; the space is deleted and its pages are in the trash; "
                                    "remove that directory by hand");
  }
  return ok_status();
}

}  // namespace vitrine::store
