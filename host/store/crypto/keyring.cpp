#include "store/crypto/keyring.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "store/crypto/encoding.h"
#include "store/crypto/private_file.h"

namespace vitrine::store::crypto {
namespace {

constexpr std::size_t kMaxKeyringFile = 64 * 1024;

std::string errno_text(int err) { return std::strerror(err); }

Error key_error(std::string message) { return make_error(Errc::key, std::move(message)); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

Status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io, "cannot write " + path.string() + ": " + errno_text(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) {
    return make_error(Errc::io, "cannot fsync " + path.string() + ": " + errno_text(errno));
  }
  return ok_status();
}

}  // namespace

bool valid_key_id(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

const Key* Keyring::find(std::string_view id) const {
  for (const auto& k : keys_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

std::vector<std::string> Keyring::ids() const {
  std::vector<std::string> out;
  for (const auto& k : keys_) out.push_back(k.id);
  return out;
}

Status Keyring::add(Key key) {
  if (!valid_key_id(key.id)) {
    return key_error("key id '" + key.id + "' is invalid; use 1-32 characters of [a-z0-9-]");
  }
  if (key.bytes.size() != kKeyBytes) {
    return key_error("key " + key.id + " is " + std::to_string(key.bytes.size()) +
                     " bytes long; AES-256 needs exactly 32 (create one with 'vitrine keys init')");
  }
  if (find(key.id) != nullptr) {
    return key_error("key id " + key.id + " appears twice; every key needs its own id");
  }
  keys_.push_back(std::move(key));
  return ok_status();
}

Status Keyring::remove(std::string_view id) {
  if (find(id) == nullptr) {
    return make_error(Errc::not_found, "the keyring holds no key '" + std::string(id) +
                                           "'; 'vitrine keys list' shows its ids");
  }
  if (newest().id == id) {
    return make_error(Errc::invalid, "key '" + std::string(id) +
                                         "' is the newest key, which seals new records; run "
                                         "'vitrine keys rotate' first [keyring-retire-newest]");
  }
  std::erase_if(keys_, [&](const Key& k) { return k.id == id; });
  return ok_status();
}

Status Keyring::add_generated() {
  std::size_t n = keys_.size() + 1;
  std::string id = "k" + std::to_string(n);
  while (find(id) != nullptr) id = "k" + std::to_string(++n);
  Key key{id, SecretBytes(kKeyBytes)};
  if (!random_bytes({key.bytes.data(), key.bytes.size()})) {
    return key_error("the system random generator failed; no key was created, try again");
  }
  return add(std::move(key));
}

Result<Keyring> Keyring::parse(std::string_view text, std::string_view source) {
  Keyring ring;
  std::string src(source);
  std::string_view rest = text;
  std::size_t line_no = 0;
  // A bare base64 key (the simple VITRINE_MASTER_KEY form).
  std::string_view whole = trim(text);
  if (!whole.empty() && whole.find_first_of(" \t\n;") == std::string_view::npos &&
      whole.front() != '#') {
    auto bytes = base64_decode(whole);
    if (!bytes) return key_error(src + ": the key is not valid base64 (RFC 4648 with padding)");
    auto st = ring.add(Key{"k1", std::move(*bytes)});
    if (!st) return key_error(src + ": " + st.error().message);
    return ring;
  }
  while (!rest.empty()) {
    // Entries end at a newline or ';' (the one-line environment form); a
    // comment runs to the end of its line.
    std::string_view head = trim(rest);
    bool comment = !head.empty() && head.front() == '#';
    std::size_t end = rest.find_first_of(comment ? "\n" : "\n;");
    std::string_view line = trim(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    ++line_no;
    if (line.empty() || comment) continue;
    std::size_t sp = line.find_first_of(" \t");
    std::string where = src + ": entry " + std::to_string(line_no);
    if (sp == std::string_view::npos) {
      return key_error(where + " must be 'KEY_ID BASE64KEY'");
    }
    std::string id(line.substr(0, sp));
    std::string_view b64 = trim(line.substr(sp + 1));
    if (!valid_key_id(id)) {
      return key_error(where + ": key id is invalid; use 1-32 characters of [a-z0-9-]");
    }
    auto bytes = base64_decode(b64);
    if (!bytes) {
      return key_error(where + " (key " + id + "): not valid base64 (RFC 4648 with padding)");
    }
    auto st = ring.add(Key{id, std::move(*bytes)});
    if (!st) return key_error(where + ": " + st.error().message);
  }
  if (ring.empty()) {
    return key_error(src + " contains no key; create one with 'vitrine keys init --key-file FILE'");
  }
  return ring;
}

Result<Keyring> Keyring::load_file(const std::filesystem::path& path) {
  const std::string create = "create one with 'vitrine keys init --key-file " + path.string() + "'";
  auto bytes = read_private_file(
      path,
      PrivateFile{"key file", "--key-file", create,
                  " (and consider rotating the key if others could read it)", kMaxKeyringFile});
  if (!bytes) return bytes.error();
  return parse(bytes->view(), path.string());
}

Result<Keyring> Keyring::load_env() {
  const char* v = std::getenv(kMasterKeyEnv);
  if (v == nullptr || *v == '\0') {
    return make_error(Errc::not_found, std::string(kMasterKeyEnv) + " is not set");
  }
  return parse(v, kMasterKeyEnv);
}

Result<Keyring> Keyring::load(const std::optional<std::filesystem::path>& key_file) {
  if (key_file) return load_file(*key_file);
  auto env = load_env();
  if (env.ok() || env.error().code != Errc::not_found) return env;
  return key_error(
      "no master key: pass --key-file FILE (create one with 'vitrine keys init --key-file "
      "FILE') or set VITRINE_MASTER_KEY");
}

std::string Keyring::serialize() const {
  std::string out =
      "# vitrine keyring: one 'KEY_ID BASE64KEY' per line, newest (encrypting) key last.\n"
      "# Keep this file mode 0600: anyone who reads it can decrypt the store.\n";
  for (const auto& k : keys_) {
    out += k.id + " " + base64_encode({k.bytes.data(), k.bytes.size()}) + "\n";
  }
  return out;
}

Status Keyring::create_file(const std::filesystem::path& path) const {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) {
      return make_error(Errc::conflict, "key file " + path.string() +
                                            " already exists; refusing to overwrite a key "
                                            "(use 'vitrine keys rotate' to add a new one)");
    }
    return make_error(Errc::io, "cannot create key file " + path.string() + ": " + errno_text(err));
  }
  std::string text = serialize();
  auto st = write_all(fd, text, path);
  OPENSSL_cleanse(text.data(), text.size());
  ::close(fd);
  return st;
}

Status Keyring::replace_file(const std::filesystem::path& path) const {
  {
    auto existing = load_file(path);
    if (!existing) return existing.error();
  }
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(Errc::io, "cannot create " + tmp.string() + ": " + errno_text(errno));
  }
  std::string text = serialize();
  auto st = write_all(fd, text, tmp);
  OPENSSL_cleanse(text.data(), text.size());
  ::close(fd);
  if (!st) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return make_error(Errc::io, "cannot replace " + path.string() + ": " + errno_text(err));
  }
  return ok_status();
}

}  // namespace vitrine::store::crypto
