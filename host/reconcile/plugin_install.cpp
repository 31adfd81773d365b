#include "reconcile/plugin_install.h"

#include <algorithm>
#include <system_error>

#include "bundle/bundle.h"
#include "store/crypto/encoding.h"
#include "store/plugin_store.h"

namespace vitrine::reconcile {
namespace {

constexpr std::string_view kExtension = ".vitrine-plugin";

store::Result<bundle::TrustedKeys> trusted_keys(store::Store& s) {
  auto rows = s.plugin_store().publishers();
  if (!rows) return rows.error();
  bundle::TrustedKeys keys;
  for (const auto& r : *rows) {
    auto raw = store::crypto::base64_decode(r.public_key);
    if (raw) keys[r.name] = std::string(raw->view());
  }
  return keys;
}

bool is_bundle_name(const std::string& name) {
  if (name.size() <= kExtension.size() || name.size() > 200) return false;
  if (name.compare(name.size() - kExtension.size(), kExtension.size(), kExtension) != 0) {
    return false;
  }
  if (name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

store::Result<store::Installed> install_plugin(store::Store& s, const std::string& who,
                                               const std::filesystem::path& path,
                                               bool allow_unsigned) {
  bundle::VerifyResult v;
  if (path.extension() == kExtension) {
    auto keys = trusted_keys(s);
    if (!keys) return keys.error();
    std::string bytes;
    if (auto refused = bundle::read_bundle_file(path, bytes)) {
      v.refusal = *refused;
    } else {
      v = bundle::verify(bytes, *keys, allow_unsigned);
    }
  } else {
    v = bundle::read_directory(path, allow_unsigned);
  }
  if (!v.ok()) {
    return store::make_error(store::Errc::invalid,
                             path.string() + ": " + v.refusal.text() + "; nothing was installed");
  }
  store::InstallRequest req;
  req.manifest_bytes = v.verified->manifest_bytes;
  req.library_bytes = v.verified->library_bytes;
  req.signer = v.verified->signer;
  req.source = std::filesystem::absolute(path).string();
  return s.plugin_store().install(who, req);
}

std::vector<std::string> bundles_in(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (is_bundle_name(name) && it->is_regular_file(ec)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

store::Result<std::filesystem::path> bundle_in(const std::filesystem::path& dir,
                                               const std::string& name) {
  if (!is_bundle_name(name)) {
    return store::make_error(store::Errc::invalid,
                             "'" + name.substr(0, 64) +
                                 "' is not a bundle file name: name a NAME.vitrine-plugin file "
                                 "of the server's plugins directory (letters, digits, '-', '_', "
                                 "'.'; no directories)");
  }
  const auto path = dir / name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return store::make_error(store::Errc::not_found,
                             "no bundle '" + name + "' in the server's plugins directory " +
                                 dir.string() + "; copy it there first (vitrine plugins pack)");
  }
  return path;
}

}  // namespace vitrine::reconcile
