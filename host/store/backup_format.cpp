// Reading and writing the backup container (see backup_format.h). Reading
// streams the file once, 64 KiB at a time: the header and manifest are
// checked before any entry byte is handed out, and the whole-file digest
// and every entry digest are compared at the end.
#include "store/backup_format.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <set>

#include "log/log.h"
#include "store/crypto/encoding.h"

namespace vitrine::store::backup {
namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kTrailerBytes = 7 + 64 + 1;  // "sha256 " + hex + "\n"

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view s) { EVP_DigestUpdate(ctx_, s.data(), s.size()); }
  std::string hex() {
    std::array<uint8_t, EVP_MAX_MD_SIZE> md{};
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, md.data(), &n);
    return crypto::hex_encode({md.data(), n});
  }

 private:
  EVP_MD_CTX* ctx_;
};

Error io_error(const std::string& what, const std::filesystem::path& p) {
  return make_error(Errc::io, "cannot " + what + " " + p.string() + ": " + std::strerror(errno));
}

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Buffered reads from a descriptor; bytes pass through `hash` until the
// reader is told to stop hashing (the trailer is not part of its digest).
class Input {
 public:
  Input(int fd, Sha256& hash) : fd_(fd), hash_(hash) {}

  // Up to `n` bytes; fewer only at the end of the file. -1 on a read error.
  int64_t read(char* out, std::size_t n, bool hashed = true) {
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::read(fd_, out + got, n - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return -1;
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    if (hashed) hash_.update({out, got});
    consumed_ += static_cast<int64_t>(got);
    return static_cast<int64_t>(got);
  }

  // A line of at most `max` bytes without its '\n'. false: no '\n' in time
  // (`eof` says whether the file ended first).
  bool line(std::size_t max, std::string& out, bool& eof) {
    out.clear();
    eof = false;
    char c = 0;
    while (out.size() <= max) {
      int64_t r = read(&c, 1);
      if (r <= 0) {
        eof = true;
        return false;
      }
      if (c == '\n') return true;
      out.push_back(c);
    }
    return false;
  }

  int64_t consumed() const { return consumed_; }

 private:
  int fd_;
  Sha256& hash_;
  int64_t consumed_ = 0;
};

int64_t get_int(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  if (!o->has(key) || !o->get(key).isInteger()) throw std::invalid_argument(key);
  return o->getValue<int64_t>(key);
}

std::string get_string(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  if (!o->has(key) || !o->get(key).isString()) throw std::invalid_argument(key);
  return o->getValue<std::string>(key);
}

}  // namespace

Error refusal(const char* rule_id, const std::string& what) {
  return make_error(Errc::invalid, what + " [" + rule_id +
                                       "]; the backup file is refused and nothing was written: "
                                       "use an intact backup file (its last line must match the "
                                       "sha256 `vitrine backup` printed)");
}

Status check_entry_path(std::string_view path) {
  auto bad = [&](const std::string& why) {
    return refusal(rule::path, "entry path '" + log::json_escape(path) + "' " + why);
  };
  if (path.empty() || path.size() > 1024) return bad("is empty or too long");
  if (path.front() == '/') return bad("is absolute");
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return bad("has an empty, '.' or '..' component");
    }
    for (char c : part) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-' || c == '+' || c == '@';
      if (!ok) return bad("has a character outside [A-Za-z0-9._+@-]");
    }
    start = end + 1;
  }
  return ok_status();
}

std::string manifest_json(const Manifest& m) {
  auto str = [](std::string_view s) { return "\"" + log::json_escape(s) + "\""; };
  std::string j = "{\"format\":" + str(kFormatName) + ",\"version\":" + std::to_string(m.version) +
                  ",\"created_at\":" + str(m.created_at) +
                  ",\"created_at_ms\":" + std::to_string(m.created_at_ms) +
                  ",\"vitrine_version\":" + str(m.vitrine_version) +
                  ",\"schema_version\":" + std::to_string(m.schema_version) +
                  ",\"database\":{\"pages\":" + std::to_string(m.database.pages) +
                  ",\"audit_rows\":" + std::to_string(m.database.audit_rows) +
                  ",\"audit_last_id\":" + std::to_string(m.database.audit_last_id) +
                  "},\"entries\":[";
  for (std::size_t i = 0; i < m.entries.size(); ++i) {
    const auto& e = m.entries[i];
    j += (i ? "," : "") + std::string("{\"path\":") + str(e.path) +
         ",\"size\":" + std::to_string(e.size) + ",\"sha256\":" + str(e.sha256) + "}";
  }
  return j + "]}";
}

Result<Manifest> parse_manifest(std::string_view json, int header_version, const Limits& limits) {
  Manifest m;
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    if (get_string(root, "format") != kFormatName) throw std::invalid_argument("format");
    m.version = static_cast<int>(get_int(root, "version"));
    m.created_at = get_string(root, "created_at");
    m.created_at_ms = get_int(root, "created_at_ms");
    m.vitrine_version = get_string(root, "vitrine_version");
    m.schema_version = static_cast<int>(get_int(root, "schema_version"));
    auto db = root->getObject("database");
    if (!db) throw std::invalid_argument("database");
    m.database =
        DatabaseInfo{get_int(db, "pages"), get_int(db, "audit_rows"), get_int(db, "audit_last_id")};
    auto entries = root->getArray("entries");
    if (!entries) throw std::invalid_argument("entries");
    if (static_cast<int64_t>(entries->size()) > limits.max_entries) {
      return refusal(rule::manifest, "the manifest lists " + std::to_string(entries->size()) +
                                         " entries, more than the limit of " +
                                         std::to_string(limits.max_entries));
    }
    for (std::size_t i = 0; i < entries->size(); ++i) {
      auto e = entries->getObject(static_cast<unsigned>(i));
      if (!e) throw std::invalid_argument("entries[]");
      m.entries.push_back(
          Entry{get_string(e, "path"), get_int(e, "size"), get_string(e, "sha256")});
    }
  } catch (const std::exception& e) {
    return refusal(rule::manifest, std::string("the manifest is not valid (field or syntax: ") +
                                       log::json_escape(e.what()) + ")");
  }
  if (m.version != header_version) {
    return refusal(rule::manifest, "the manifest's version differs from the header's");
  }
  std::set<std::string> seen;
  bool database = false;
  for (const auto& e : m.entries) {
    if (auto st = check_entry_path(e.path); !st) return st.error();
    if (!is_hex64(e.sha256)) {
      return refusal(rule::manifest, "entry '" + e.path + "' has no valid sha256");
    }
    if (e.size < 0 || e.size > limits.max_entry_bytes) {
      return refusal(rule::entry_size, "entry '" + e.path + "' declares " + std::to_string(e.size) +
                                           " bytes, over the limit of " +
                                           std::to_string(limits.max_entry_bytes));
    }
    // A path may not repeat, nor be both a file and a directory of another.
    if (!seen.insert(e.path).second) {
      return refusal(rule::duplicate, "entry '" + e.path + "' appears twice");
    }
    for (std::size_t p = e.path.find('/'); p != std::string::npos; p = e.path.find('/', p + 1)) {
      if (seen.count(e.path.substr(0, p))) {
        return refusal(rule::duplicate,
                       "entry '" + e.path + "' lies under the file '" + e.path.substr(0, p) + "'");
      }
    }
    database = database || e.path == kDatabaseEntry;
  }
  for (const auto& e : m.entries) {
    if (seen.lower_bound(e.path + "/") != seen.end() &&
        seen.lower_bound(e.path + "/")->rfind(e.path + "/", 0) == 0) {
      return refusal(rule::duplicate, "entry '" + e.path + "' is both a file and a directory");
    }
  }
  if (!database) {
    return refusal(rule::no_database, std::string("the backup has no ") + kDatabaseEntry);
  }
  return m;
}

Result<Verified> read_backup_file(const std::filesystem::path& file, const Limits& limits,
                                  EntrySink* sink) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("open backup file", file);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io_error("inspect backup file", file);
  if (!S_ISREG(st.st_mode)) return refusal(rule::format, file.string() + " is not a regular file");
  const int64_t file_size = st.st_size;

  Sha256 whole;
  Input in(fd, whole);
  std::string line;
  bool eof = false;
  const std::string magic = std::string(kFormatName) + " ";
  bool got = in.line(64, line, eof);
  if (line.rfind(magic, 0) != 0) {
    if (eof && std::string_view(magic).substr(0, line.size()) == line && !line.empty()) {
      return refusal(rule::truncated, "the file ends inside its header");
    }
    return refusal(rule::format,
                   file.string() + " is not a vitrine backup (no '" + kFormatName + "' header)");
  }
  if (!got) return refusal(eof ? rule::truncated : rule::format, "the header line is incomplete");
  const std::string version_text = line.substr(magic.size());
  if (!all_digits(version_text)) return refusal(rule::format, "the header has no version number");
  const int version = std::stoi(version_text);
  if (version != kFormatVersion) {
    return refusal(rule::version, "backup format version " + std::string(version_text) +
                                      " is not known to this vitrine (it reads version " +
                                      std::to_string(kFormatVersion) + "); use a newer vitrine");
  }
  if (!in.line(64, line, eof)) {
    return refusal(eof ? rule::truncated : rule::format, "the manifest line is incomplete");
  }
  if (line.rfind("manifest ", 0) != 0 || !all_digits(std::string_view(line).substr(9))) {
    return refusal(rule::format, "the second line is not 'manifest <bytes>'");
  }
  const int64_t manifest_bytes = std::stoll(line.substr(9));
  if (manifest_bytes > limits.max_manifest_bytes) {
    return refusal(rule::manifest, "the manifest declares " + std::to_string(manifest_bytes) +
                                       " bytes, over the limit of " +
                                       std::to_string(limits.max_manifest_bytes));
  }
  std::string json(static_cast<std::size_t>(manifest_bytes) + 1, '\0');
  int64_t n = in.read(json.data(), json.size());
  if (n < 0) return io_error("read backup file", file);
  if (n != static_cast<int64_t>(json.size())) {
    return refusal(rule::truncated, "the file ends inside its manifest");
  }
  if (json.back() != '\n') return refusal(rule::format, "the manifest is not followed by '\\n'");
  json.pop_back();
  auto manifest = parse_manifest(json, version, limits);
  if (!manifest) return manifest.error();

  // The declared layout fixes the file's exact length: check it before
  // reading any entry, so truncation is named as such.
  int64_t expected = in.consumed() + static_cast<int64_t>(kTrailerBytes);
  for (const auto& e : manifest->entries) expected += e.size;
  if (file_size < expected) {
    return refusal(rule::truncated, "the file has " + std::to_string(file_size) +
                                        " bytes but its manifest declares " +
                                        std::to_string(expected));
  }
  if (file_size > expected) {
    return refusal(rule::trailing, "the file has " + std::to_string(file_size - expected) +
                                       " bytes more than its manifest declares");
  }

  std::string first_mismatch;
  std::string buf(kChunk, '\0');
  for (const auto& e : manifest->entries) {
    if (sink) {
      if (auto s = sink->begin(e); !s) return s.error();
    }
    Sha256 entry_hash;
    int64_t left = e.size;
    while (left > 0) {
      std::size_t want = static_cast<std::size_t>(std::min<int64_t>(left, kChunk));
      int64_t r = in.read(buf.data(), want);
      if (r < 0) return io_error("read backup file", file);
      if (r != static_cast<int64_t>(want)) {
        return refusal(rule::truncated, "the file ends inside entry '" + e.path + "'");
      }
      std::string_view chunk(buf.data(), want);
      entry_hash.update(chunk);
      if (sink) {
        if (auto s = sink->write(chunk); !s) return s.error();
      }
      left -= r;
    }
    if (entry_hash.hex() != e.sha256 && first_mismatch.empty()) first_mismatch = e.path;
    if (sink) {
      if (auto s = sink->end(e); !s) return s.error();
    }
  }
  std::string trailer(kTrailerBytes, '\0');
  n = in.read(trailer.data(), trailer.size(), /*hashed=*/false);
  if (n < 0) return io_error("read backup file", file);
  if (n != static_cast<int64_t>(kTrailerBytes)) {
    return refusal(rule::truncated, "the file ends before its sha256 line");
  }
  const std::string digest = whole.hex();
  if (trailer.rfind("sha256 ", 0) != 0 || trailer.back() != '\n' ||
      !is_hex64(std::string_view(trailer).substr(7, 64))) {
    return refusal(rule::checksum, "the closing sha256 line is damaged");
  }
  if (trailer.substr(7, 64) != digest) {
    return refusal(rule::checksum,
                   "the file's SHA-256 does not match its closing sha256 line "
                   "(the file was changed or damaged)");
  }
  if (!first_mismatch.empty()) {
    return refusal(rule::entry_digest,
                   "entry '" + first_mismatch + "' does not match its sha256 in the manifest");
  }
  return Verified{std::move(*manifest), digest, file_size};
}

Result<std::string> sha256_file(const std::filesystem::path& file, int64_t& size) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("read", file);
  Sha256 sha;
  Input in(fd, sha);
  std::string buf(kChunk, '\0');
  int64_t r = 0;
  while ((r = in.read(buf.data(), buf.size())) > 0) {
  }
  ::close(fd);
  if (r < 0) return io_error("read", file);
  size = in.consumed();
  return sha.hex();
}

struct BackupWriter::Hash {
  Sha256 sha;
};

Result<std::unique_ptr<BackupWriter>> BackupWriter::create(const std::filesystem::path& path,
                                                           const Manifest& manifest) {
  std::unique_ptr<BackupWriter> w(new BackupWriter());
  w->path_ = path;
  w->hash_ = std::make_unique<Hash>();
  w->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (w->fd_ < 0) return io_error("create", path);
  const std::string json = manifest_json(manifest);
  const std::string head = std::string(kFormatName) + " " + std::to_string(manifest.version) +
                           "\nmanifest " + std::to_string(json.size()) + "\n" + json + "\n";
  if (auto st = w->write(head); !st) return st.error();
  return w;
}

BackupWriter::~BackupWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status BackupWriter::write(std::string_view bytes) {
  hash_->sha.update(bytes);
  while (!bytes.empty()) {
    ssize_t r = ::write(fd_, bytes.data(), bytes.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return io_error("write", path_);
    bytes.remove_prefix(static_cast<std::size_t>(r));
    bytes_ += r;
  }
  return ok_status();
}

Result<std::string> BackupWriter::finish() {
  std::string digest = hash_->sha.hex();
  std::string trailer = "sha256 " + digest + "\n";
  for (std::string_view rest = trailer; !rest.empty();) {
    ssize_t r = ::write(fd_, rest.data(), rest.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return io_error("write", path_);
    rest.remove_prefix(static_cast<std::size_t>(r));
    bytes_ += r;
  }
  if (::fsync(fd_) != 0) return io_error("flush", path_);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return io_error("close", path_);
  return digest;
}

}  // namespace vitrine::store::backup
