#include "store/instance_marker.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>

#include "store/crypto/encoding.h"

namespace vitrine::store {
namespace {

namespace fs = std::filesystem;

std::string utc_text(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Error io_error(const fs::path& file, const std::string& what) {
  return make_error(Errc::io, "cannot write the instance marker " + file.string() + " (" + what +
                                  ": " + std::strerror(errno) +
                                  "); check the permissions and free space of the data directory");
}

}  // namespace

std::optional<InstanceMarker> read_instance_marker(const fs::path& data_dir) {
  const fs::path file = data_dir / kInstanceFileName;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) return std::nullopt;
  InstanceMarker m;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("id: ", 0) == 0) m.id = line.substr(4);
    if (line.rfind("created: ", 0) == 0) m.created = line.substr(9);
  }
  return m;
}

Result<InstanceMarker> write_instance_marker(const fs::path& data_dir, int64_t now_ms) {
  std::array<uint8_t, 16> raw{};
  if (!crypto::random_bytes(raw)) {
    return make_error(Errc::crypto, "the system random generator failed; try again");
  }
  InstanceMarker m{crypto::hex_encode(raw), utc_text(now_ms)};
  const std::string text = "vitrine data directory\nid: " + m.id + "\ncreated: " + m.created +
                           "\n# Do not delete: vitrine refuses to start when this file exists but "
                           "vitrine.db is missing or empty.\n";
  const fs::path file = data_dir / kInstanceFileName;
  const fs::path tmp = data_dir / (std::string(kInstanceFileName) + ".tmp");
  // Temp file, fsync, rename, fsync the directory: a crash leaves either no
  // marker or a whole one, never a torn file.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return io_error(tmp, "open");
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    auto e = io_error(tmp, "write");
    ::unlink(tmp.c_str());
    return e;
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    auto e = io_error(file, "rename");
    ::unlink(tmp.c_str());
    return e;
  }
  int dfd = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return m;
}

}  // namespace vitrine::store
