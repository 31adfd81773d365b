#include "store/plugin_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "digest/sha256.h"
#include "store/audit.h"
#include "store/crypto/encoding.h"

namespace vitrine::store {
namespace {

constexpr std::uintmax_t kMaxManifestBytes = 1 << 20;
constexpr std::uintmax_t kMaxLibraryBytes = 64u << 20;

Result<std::string> read_bounded(const std::filesystem::path& file, std::uintmax_t max,
                                 const std::string& what) {
  int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return make_error(Errc::not_found,
                      "cannot read " + what + " " + file.string() + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(Errc::invalid, what + " " + file.string() + " is not a regular file");
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max) {
    ::close(fd);
    return make_error(Errc::invalid, what + " " + file.string() + " is larger than " +
                                         std::to_string(max) + " bytes");
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (got != out.size()) return make_error(Errc::io, "short read of " + file.string());
  return out;
}

// Writes `bytes` to `file` unless it already holds them: temp file, fsync,
// rename, mode 0444. Never follows a link at `file`.
Status write_read_only(const std::filesystem::path& file, const std::string& bytes) {
  if (auto existing = read_bounded(file, kMaxLibraryBytes, "stored file"); existing) {
    if (*existing == bytes) return ok_status();
  }
  std::filesystem::path tmp = file;
  tmp += ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(Errc::io, "cannot write " + tmp.string() + ": " + std::strerror(errno));
  }
  std::string_view rest = bytes;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error(Errc::io, "cannot write " + tmp.string() + ": " + why);
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  const bool synced = ::fchmod(fd, 0444) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), file.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return make_error(Errc::io, "cannot store " + file.string() + ": " + why);
  }
  return ok_status();
}

Status make_dir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(Errc::io, "cannot create " + dir.string() + ": " + std::strerror(errno));
  }
  return ok_status();
}

bool plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

Result<manifest::Manifest> checked_manifest(const std::string& bytes, const std::string& name) {
  auto checked = manifest::check_text(bytes, name);
  if (!checked.ok()) {
    std::string first;
    for (const auto& d : checked.diagnostics) {
      if (d.severity == manifest::Severity::error) {
        first = manifest::format(d);
        break;
      }
    }
    return make_error(Errc::invalid, "the manifest is invalid: " + first +
                                         " (run 'vitrine manifest check' for every problem)");
  }
  if (!plain_file_name(checked.manifest->library)) {
    return make_error(Errc::invalid, "the manifest's plugin.library must be a file name");
  }
  return *checked.manifest;
}

}  // namespace

bool version_less(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& v, int out[3]) {
    std::istringstream in(v);
    char dot1 = 0, dot2 = 0;
    in >> out[0] >> dot1 >> out[1] >> dot2 >> out[2];
    return !in.fail() && dot1 == '.' && dot2 == '.';
  };
  int x[3] = {0, 0, 0}, y[3] = {0, 0, 0};
  if (!parts(a, x) || !parts(b, y)) return false;
  for (int i = 0; i < 3; ++i) {
    if (x[i] != y[i]) return x[i] < y[i];
  }
  return false;
}

Result<InstallRequest> PluginStore::read_directory_entry(
    const std::filesystem::path& manifest_file) {
  auto bytes = read_bounded(manifest_file, kMaxManifestBytes, "manifest");
  if (!bytes) return bytes.error();
  auto m = checked_manifest(*bytes, manifest_file.string());
  if (!m) return m.error();
  auto library =
      read_bounded(manifest_file.parent_path() / m->library, kMaxLibraryBytes, "plugin library");
  if (!library) return library.error();
  InstallRequest r;
  r.manifest_bytes = std::move(*bytes);
  r.library_bytes = std::move(*library);
  r.source = manifest_file.parent_path().string();
  return r;
}

Result<Installed> PluginStore::install(const std::string& who, const InstallRequest& request) {
  auto m = checked_manifest(request.manifest_bytes, "manifest");
  if (!m) return m.error();
  ArtifactRow row;
  row.plugin_id = m->id;
  row.version = m->version;
  row.manifest_sha256 = digest::sha256_hex(request.manifest_bytes);
  row.library_sha256 = digest::sha256_hex(request.library_bytes);
  row.signer = request.signer;
  row.source = request.source;
  row.installed_at_ms = ctx_.now();
  row.installed_by = who;
  const std::filesystem::path rel =
      std::filesystem::path("plugins") / row.library_sha256 / (row.manifest_sha256 + ".yml");
  row.manifest_path = rel.string();

  auto existing = ctx_.db.list_artifacts();
  if (!existing) return existing.error();
  for (const auto& a : *existing) {
    if (a.plugin_id == row.plugin_id && a.manifest_sha256 == row.manifest_sha256 &&
        a.library_sha256 == row.library_sha256) {
      return Installed{a, false};
    }
  }
  // Files first: a row never names files that are not there. Files without
  // a row (an interrupted install) are rewritten by the next install.
  for (const auto& dir : {data_dir_ / "plugins", data_dir_ / "plugins" / row.library_sha256}) {
    if (auto st = make_dir(dir); !st) return st.error();
  }
  const auto dir = data_dir_ / "plugins" / row.library_sha256;
  if (auto st = write_read_only(dir / m->library, request.library_bytes); !st) return st.error();
  if (auto st = write_read_only(data_dir_ / rel, request.manifest_bytes); !st) return st.error();

  AuditEvent ev{who, "", "plugin.install", row.plugin_id + "@" + row.version, "", {}};
  ev.detail = {{"library_sha256", row.library_sha256, false},
               {"manifest_sha256", row.manifest_sha256, false},
               {"signed_by", row.signer.empty() ? "unsigned" : row.signer, false},
               {"source", row.source, false}};
  auto st = run_audited(ctx_, ev, [&] { return ctx_.db.insert_artifact(row); });
  if (!st) return st.error();
  return Installed{row, true};
}

Result<std::vector<ArtifactRow>> PluginStore::list() { return ctx_.db.list_artifacts(); }

Result<LoadedArtifact> PluginStore::load(const ArtifactRow& row) {
  const auto manifest_file = data_dir_ / row.manifest_path;
  auto bytes = read_bounded(manifest_file, kMaxManifestBytes, "stored manifest");
  if (!bytes) return bytes.error();
  if (digest::sha256_hex(*bytes) != row.manifest_sha256) {
    return make_error(Errc::denied, "the stored manifest " + manifest_file.string() +
                                        " no longer has the digest it was installed with; "
                                        "install the plugin again [plugin-artifact-tampered]");
  }
  auto m = checked_manifest(*bytes, manifest_file.string());
  if (!m) return m.error();
  auto library = read_bounded(manifest_file.parent_path() / m->library, kMaxLibraryBytes,
                              "stored plugin library");
  if (!library) return library.error();
  if (digest::sha256_hex(*library) != row.library_sha256) {
    return make_error(Errc::denied, "the stored library of '" + row.plugin_id + "' " + row.version +
                                        " no longer has the digest it was installed and "
                                        "approved with; install it again "
                                        "[plugin-artifact-tampered]");
  }
  m->path = manifest_file;
  return LoadedArtifact{row, std::move(*m)};
}

Status PluginStore::pin(const std::string& who, const std::string& plugin_id,
                        const std::string& version) {
  AuditEvent ev{who, "", "plugin.rollback", plugin_id + "@" + version, "", {}};
  return run_audited(ctx_, ev, [&]() -> Status {
    auto artifacts = ctx_.db.list_artifacts();
    if (!artifacts) return artifacts.error();
    auto approvals = ctx_.db.list_approvals(plugin_id);
    if (!approvals) return approvals.error();
    bool installed = false;
    for (const auto& a : *artifacts) {
      if (a.plugin_id != plugin_id || a.version != version) continue;
      installed = true;
      for (const auto& ap : *approvals) {
        if (ap.withdrawn_at_ms == 0 && ap.version == version &&
            ap.manifest_sha256 == a.manifest_sha256 && ap.library_sha256 == a.library_sha256) {
          return ctx_.db.set_pin(PinRow{plugin_id, version, ctx_.now(), who});
        }
      }
    }
    if (!installed) {
      return make_error(Errc::not_found, "version " + version + " of plugin '" + plugin_id +
                                             "' is not installed; 'vitrine plugins list' shows "
                                             "the installed versions");
    }
    return make_error(Errc::denied, "version " + version + " of plugin '" + plugin_id +
                                        "' was never approved, so it cannot be rolled back to; "
                                        "approve it first (vitrine plugins approve " +
                                        plugin_id + " --version " + version + " --show-diff)");
  });
}

Status PluginStore::unpin(const std::string& who, const std::string& plugin_id) {
  AuditEvent ev{who, "", "plugin.unpin", plugin_id, "", {}};
  return run_audited(ctx_, ev, [&] { return ctx_.db.delete_pin(plugin_id); });
}

Result<std::vector<PinRow>> PluginStore::pins() { return ctx_.db.list_pins(); }

Status PluginStore::trust(const std::string& who, const std::string& name,
                          const std::string& public_key) {
  if (name.empty() || name.size() > 64) {
    return make_error(Errc::invalid, "a publisher name is 1-64 characters");
  }
  auto raw = crypto::base64_decode(public_key);
  if (!raw || raw->size() != 32) {
    return make_error(Errc::invalid,
                      "the publisher key must be the base64 of 32 raw Ed25519 bytes (the .pub "
                      "file 'vitrine plugins keygen' writes)");
  }
  AuditEvent ev{who, "", "plugin.trust", name, "", {{"public_key", public_key, false}}};
  return run_audited(ctx_, ev, [&] {
    return ctx_.db.insert_publisher(PublisherRow{name, public_key, ctx_.now(), who});
  });
}

Status PluginStore::distrust(const std::string& who, const std::string& name) {
  AuditEvent ev{who, "", "plugin.distrust", name, "", {}};
  return run_audited(ctx_, ev, [&] { return ctx_.db.delete_publisher(name); });
}

Result<std::vector<PublisherRow>> PluginStore::publishers() { return ctx_.db.list_publishers(); }

}  // namespace vitrine::store
