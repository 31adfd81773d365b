#include "bundle/keys.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "digest/sha256.h"
#include "license/verifier.h"

namespace vitrine::bundle {
namespace {

// Strict: only the base64 alphabet, so a stray character is an error
// instead of being skipped by the decoder.
bool unbase64(std::string_view text, std::string& out) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=';
    if (!ok) return false;
  }
  try {
    std::istringstream src{std::string(text)};
    Poco::Base64Decoder dec(src);
    out.assign(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
    return true;
  } catch (const Poco::Exception&) {
    return false;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

SigningKey::~SigningKey() { OPENSSL_cleanse(private_key.data(), private_key.size()); }

std::string base64(std::string_view raw) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc.write(raw.data(), static_cast<std::streamsize>(raw.size()));
  enc.close();
  return out.str();
}

std::string key_id(std::string_view public_key) {
  return "ed25519-" + digest::sha256_hex(public_key).substr(0, 32);
}

std::string write_key_files(const std::string& prefix, std::string& key_id_out) {
  if (prefix.empty()) return "--out needs a file name prefix, e.g. --out keys/acme";
  const std::string key_path = prefix + ".key";
  const std::string pub_path = prefix + ".pub";
  SigningKey key;
  if (!license::ed25519_generate(key.private_key, key.public_key)) {
    return "cannot generate an Ed25519 key (OpenSSL failed); check the OpenSSL installation";
  }
  // Both files are created before anything is written, with O_EXCL, so an
  // existing key is never overwritten and a failure leaves nothing behind.
  int key_fd = ::open(key_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (key_fd < 0) {
    return "cannot create " + key_path + " (" + std::strerror(errno) +
           "); keygen never overwrites a key, so choose another --out prefix";
  }
  int pub_fd = ::open(pub_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (pub_fd < 0) {
    const std::string err = std::strerror(errno);
    ::close(key_fd);
    ::unlink(key_path.c_str());
    return "cannot create " + pub_path + " (" + err +
           "); keygen never overwrites a key, so choose another --out prefix";
  }
  std::string secret_line = base64(key.private_key) + " " + base64(key.public_key) + "\n";
  bool ok = ::fchmod(key_fd, 0600) == 0 && write_all(key_fd, secret_line) && ::fsync(key_fd) == 0;
  ok = write_all(pub_fd, base64(key.public_key) + "\n") && ok;
  OPENSSL_cleanse(secret_line.data(), secret_line.size());
  ok = ::close(key_fd) == 0 && ok;
  ok = ::close(pub_fd) == 0 && ok;
  if (!ok) {
    ::unlink(key_path.c_str());
    ::unlink(pub_path.c_str());
    return "cannot write " + key_path + " and " + pub_path + "; check free space and try again";
  }
  key_id_out = key_id(key.public_key);
  return {};
}

std::string read_signing_key(const std::filesystem::path& file, SigningKey& out) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return "cannot open the key file " + file.string() + " (" + std::strerror(errno) +
           "); create one with 'vitrine plugins keygen --out PREFIX'";
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 1024) {
    ::close(fd);
    return file.string() + " is not a key file written by 'vitrine plugins keygen'";
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return "the key file " + file.string() + " can be read by other users; run 'chmod 600 " +
           file.string() + "' (and consider the key exposed if others did read it)";
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  const bool read_ok = ::read(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  std::string a, b;
  {
    std::istringstream in(text);
    in >> a >> b;
  }
  const bool decoded = read_ok && unbase64(a, out.private_key) && unbase64(b, out.public_key) &&
                       out.private_key.size() == 32 && out.public_key.size() == 32;
  OPENSSL_cleanse(text.data(), text.size());
  OPENSSL_cleanse(a.data(), a.size());
  if (!decoded) {
    return file.string() +
           " is not a key file written by 'vitrine plugins keygen' (expected "
           "'base64(private) base64(public)' on one line)";
  }
  // A key file whose halves do not belong together would produce bundles no
  // host accepts; find out now, not at install time.
  static constexpr std::string_view probe = "vitrine-plugin key check";
  if (!license::ed25519_verify(out.public_key, probe,
                               license::ed25519_sign(out.private_key, probe))) {
    return "the private and public halves in " + file.string() +
           " do not belong together; generate a new key with 'vitrine plugins keygen'";
  }
  return {};
}

std::string parse_public_key(std::string_view text, std::string& raw) {
  const std::string_view line = trim(text);
  if (line.find('\n') != std::string_view::npos || !unbase64(line, raw) || raw.size() != 32) {
    raw.clear();
    return "a publisher key is one line of base64 encoding 32 bytes (the content of a .pub file "
           "written by 'vitrine plugins keygen')";
  }
  return {};
}

}  // namespace vitrine::bundle
