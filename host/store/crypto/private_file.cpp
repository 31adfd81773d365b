#include "store/crypto/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace vitrine::store::crypto {
namespace {

Error fail(std::string message) { return make_error(Errc::key, std::move(message)); }

}  // namespace

Result<SecretBytes> read_private_file(const std::filesystem::path& path, const PrivateFile& file) {
  const std::string what = std::string(file.noun) + " " + path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ELOOP) {
      return fail(what + " is a symbolic link; refusing it (a link can be redirected). Point " +
                  std::string(file.setting) + " at the real file");
    }
    if (err == ENOENT) return fail(what + " does not exist; " + std::string(file.when_missing));
    return fail("cannot open " + what + ": " + std::strerror(err));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail("cannot stat " + what + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    return fail(what + " is not a regular file; point " + std::string(file.setting) +
                " at the file itself");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail(what + " has mode " + mode + ", which lets other users read it; run 'chmod 600 " +
                path.string() + "'" + std::string(file.when_exposed));
  }
  if (st.st_uid != ::geteuid()) {
    return fail(what + " is owned by uid " + std::to_string(st.st_uid) +
                ", not by the user running vitrine (uid " + std::to_string(::geteuid()) +
                "); chown it to the service user");
  }
  SecretBytes buf(file.max_bytes + 1);
  std::size_t len = 0;
  while (len < buf.size()) {
    const ssize_t n = ::read(fd, buf.data() + len, buf.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot read " + what + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
  }
  if (len > file.max_bytes) {
    return fail(what + " is larger than " + std::to_string(file.max_bytes) + " bytes");
  }
  return SecretBytes(buf.data(), len);
}

}  // namespace vitrine::store::crypto
