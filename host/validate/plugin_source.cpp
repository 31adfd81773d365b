#include "validate/plugin_source.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bundle/bundle.h"
#include "bundle/keys.h"
#include "plugins/loader.h"

namespace vitrine::validate {
namespace {

namespace fs = std::filesystem;

std::string diagnostics_text(const manifest::CheckResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) {
    out += (out.empty() ? "" : "\n") + manifest::format(d);
  }
  return out;
}

bool write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
  return static_cast<bool>(out);
}

}  // namespace

PluginSource::~PluginSource() {
  if (!temp_dir.empty()) {
    std::error_code ec;
    fs::remove_all(temp_dir, ec);
  }
}

PluginSource open_plugin_source(const fs::path& path, const std::vector<fs::path>& trust_keys,
                                bool allow_unsigned) {
  PluginSource src;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    auto found = plugins::discover_plugins(path);
    if (!found.refused.empty()) {
      for (const auto& r : found.refused) {
        src.error += (src.error.empty() ? "" : "\n") + plugins::format(r);
      }
      return src;
    }
    if (found.manifests.empty()) {
      src.error = "no plugin manifest (*.yml) in " + path.string() +
                  "; pass a plugin directory, a manifest file or a bundle";
      return src;
    }
    for (auto& m : found.manifests) {
      src.manifest_names.push_back(m.path.string());
      src.manifests.push_back(std::move(m));
    }
    return src;
  }
  if (!fs::is_regular_file(path, ec)) {
    src.error = path.string() + " does not exist or is not a file or directory";
    return src;
  }
  const auto ext = path.extension().string();
  if (ext == ".yml" || ext == ".yaml") {
    auto checked = manifest::check_file(path);
    if (!checked.ok()) {
      src.error = "the manifest is invalid:\n" + diagnostics_text(checked);
      return src;
    }
    src.manifest_names.push_back(path.string());
    src.manifests.push_back(std::move(*checked.manifest));
    return src;
  }

  // A bundle: verified exactly as `plugins install` verifies it.
  bundle::TrustedKeys trusted;
  for (const auto& key_file : trust_keys) {
    std::ifstream in(key_file);
    std::stringstream text;
    text << in.rdbuf();
    std::string raw;
    std::string why = in ? bundle::parse_public_key(text.str(), raw) : "it cannot be read";
    if (!why.empty()) {
      src.error = "--trust-key " + key_file.string() + ": " + why;
      return src;
    }
    trusted[key_file.stem().string()] = raw;
  }
  std::string bytes;
  if (auto refused = bundle::read_bundle_file(path, bytes)) {
    src.error = refused->text();
    return src;
  }
  auto v = bundle::verify(bytes, trusted, allow_unsigned);
  if (!v.ok()) {
    src.error = v.refusal.text();
    if (v.refusal.rule == "bundle-untrusted-key") {
      src.error +=
          "; to validate it without installing, pass the publisher's public key with "
          "--trust-key FILE.pub";
    }
    return src;
  }
  std::string dir_template =
      (fs::temp_directory_path() / "vitrine-validate-bundle-XXXXXX").string();
  if (::mkdtemp(dir_template.data()) == nullptr) {
    src.error = "cannot create a temporary directory in " + fs::temp_directory_path().string();
    return src;
  }
  src.temp_dir = dir_template;
  // Workers may run as an unprivileged user: they must be able to read it.
  ::chmod(src.temp_dir.c_str(), 0755);
  const auto manifest_file = src.temp_dir / (v.verified->plugin_id + ".yml");
  if (!write_file(manifest_file, v.verified->manifest_bytes) ||
      !write_file(src.temp_dir / v.verified->library_name, v.verified->library_bytes)) {
    src.error = "cannot write the bundle's files into " + src.temp_dir.string();
    return src;
  }
  auto checked = manifest::check_file(manifest_file);
  if (!checked.ok()) {
    src.error = "the bundle's manifest is invalid:\n" + diagnostics_text(checked);
    return src;
  }
  src.manifest_names.push_back(path.filename().string() + ":" + manifest_file.filename().string());
  src.manifests.push_back(std::move(*checked.manifest));
  return src;
}

}  // namespace vitrine::validate
