#include "license/license_files.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "license/clock_guard.h"

namespace vitrine::license {
namespace {

namespace fs = std::filesystem;
constexpr const char* kDevKid = "dev-local";

bool read_file(const fs::path& p, std::string& out, size_t limit = 64 * 1024) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return out.size() <= limit;
}

bool write_private(const fs::path& p, const std::string& data) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  ok = ::fchmod(fd, 0600) == 0 && ok;
  ::close(fd);
  return ok;
}

std::string b64(std::string_view raw) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc.write(raw.data(), static_cast<std::streamsize>(raw.size()));
  enc.close();
  return out.str();
}

std::string unb64(const std::string& text) {
  try {
    std::istringstream src(text);
    Poco::Base64Decoder dec(src);
    return std::string(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
  } catch (const Poco::Exception&) {
    return {};
  }
}

// The dev key file holds "base64(private) base64(public)".
bool read_dev_key(const fs::path& data_dir, std::string& priv, std::string& pub) {
  std::string text;
  if (!read_file(data_dir / "dev-license.key", text)) return false;
  std::istringstream in(text);
  std::string a, b;
  in >> a >> b;
  priv = unb64(a);
  pub = unb64(b);
  OPENSSL_cleanse(a.data(), a.size());
  OPENSSL_cleanse(text.data(), text.size());
  return priv.size() == 32 && pub.size() == 32;
}

}  // namespace

std::vector<TrustedKey> trusted_keys(const fs::path& data_dir, bool dev_mode) {
  std::vector<TrustedKey> keys = vendor_keys();
  std::string priv, pub;
  if (dev_mode && !data_dir.empty() && read_dev_key(data_dir, priv, pub)) {
    keys.push_back({kDevKid, pub, true});
  }
  OPENSSL_cleanse(priv.data(), priv.size());
  return keys;
}

LoadResult verify_file(const fs::path& file, const fs::path& data_dir, bool dev_mode, int64_t now) {
  LoadResult r;
  std::string text;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec) || !read_file(file, text)) {
    r.rule = "license-unreadable";
    r.reason = "cannot read license file '" + file.string() +
               "' (missing, not a regular file, or over 64 KiB)";
    return r;
  }
  r.present = true;
  VerifyOptions opt;
  opt.now = now;
  opt.dev_mode = dev_mode;
  opt.keys = trusted_keys(data_dir, dev_mode);
  auto v = verify_license(text, opt);
  if (!v.ok) {
    r.rule = v.rule;
    r.reason = v.reason;
    return r;
  }
  if (!data_dir.empty()) {
    ClockGuard guard(data_dir / "license-clock");
    std::string reason;
    if (!guard.check_and_advance(now, reason)) {
      r.rule = "license-clock-rollback";
      r.reason = reason;
      return r;
    }
  }
  r.ok = true;
  r.license = v.license;
  return r;
}

LoadResult load_installed(const fs::path& data_dir, bool dev_mode, int64_t now) {
  std::error_code ec;
  fs::path file = data_dir / "license.json";
  if (dev_mode && fs::exists(data_dir / "dev-license.json", ec))
    file = data_dir / "dev-license.json";
  if (!fs::exists(file, ec)) {
    LoadResult r;
    r.rule = "license-none";
    r.reason = "no license is installed; gated features are off (vitrine license install FILE)";
    return r;
  }
  return verify_file(file, data_dir, dev_mode, now);
}

LoadResult install(const fs::path& file, const fs::path& data_dir, bool dev_mode, int64_t now) {
  auto r = verify_file(file, data_dir, dev_mode, now);
  if (!r.ok) return r;
  std::string text;
  read_file(file, text);
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (!write_private(data_dir / "license.json", text)) {
    r.ok = false;
    r.rule = "license-unreadable";
    r.reason = "cannot write " + (data_dir / "license.json").string() +
               "; check the data directory's permissions";
  }
  return r;
}

std::string write_dev_license(const fs::path& data_dir, const std::vector<std::string>& features,
                              const std::string& licensee, int days, int64_t now) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  std::string priv, pub;
  if (!read_dev_key(data_dir, priv, pub)) {
    if (!ed25519_generate(priv, pub)) return "cannot generate a development key";
    std::string line = b64(priv) + " " + b64(pub) + "\n";
    bool ok = write_private(data_dir / "dev-license.key", line);
    OPENSSL_cleanse(line.data(), line.size());
    if (!ok) return "cannot write the development key into " + data_dir.string();
  }
  Poco::JSON::Object payload(Poco::JSON_PRESERVE_KEY_ORDER);
  payload.set("licensee", licensee);
  payload.set("license_id", "dev-" + std::to_string(now));
  payload.set("product", std::string("vitrine"));
  Poco::JSON::Array f;
  for (const auto& x : features) f.add(x);
  payload.set("features", f);
  payload.set("max_spaces", 0);
  payload.set("issued", format_rfc3339(now));
  payload.set("not_before", format_rfc3339(now - 60));
  payload.set("expires", format_rfc3339(now + int64_t{days} * 86400));
  std::ostringstream json;
  payload.stringify(json);
  std::string file = sign_license(priv, kDevKid, json.str());
  OPENSSL_cleanse(priv.data(), priv.size());
  if (file.empty()) return "cannot sign the development license";
  if (!write_private(data_dir / "dev-license.json", file)) {
    return "cannot write dev-license.json into " + data_dir.string();
  }
  return {};
}

}  // namespace vitrine::license
