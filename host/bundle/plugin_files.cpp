#include "bundle/plugin_files.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "bundle/format.h"

namespace vitrine::bundle {
namespace {

namespace fs = std::filesystem;

bool fail(Refusal& refusal, std::string rule, std::string reason) {
  refusal = Refusal{std::move(rule), std::move(reason)};
  return false;
}

// Reads a regular file without following a symlink in its last component
// (O_NOFOLLOW), checking type and size on the opened descriptor so the file
// cannot be swapped between the check and the read.
bool read_regular(const fs::path& path, size_t limit, std::string& out, Refusal& refusal) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ELOOP) {
      return fail(refusal, "bundle-path",
                  path.string() +
                      " is a symlink; a plugin's files must be regular files in its directory, "
                      "so copy the file there instead of linking it");
    }
    return fail(refusal, "bundle-unreadable",
                "cannot open " + path.string() + " (" + std::strerror(errno) +
                    "); check the path and its permissions");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(refusal, "bundle-path",
                path.string() + " is not a regular file; a plugin's files must be regular files");
  }
  if (static_cast<uint64_t>(st.st_size) > limit) {
    ::close(fd);
    return fail(refusal, "bundle-too-large",
                path.string() + " is " + std::to_string(st.st_size) + " bytes, over the " +
                    std::to_string(limit) + "-byte limit for this file");
  }
  out.assign(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (done != out.size()) {
    return fail(refusal, "bundle-unreadable",
                "cannot read all of " + path.string() + "; it changed while being read, try again");
  }
  return true;
}

// The manifest of `source`: the file itself, or manifest.yml, or the only
// *.yml / *.yaml in the directory.
bool find_manifest(const fs::path& source, fs::path& out, Refusal& refusal) {
  std::error_code ec;
  const auto status = fs::symlink_status(source, ec);
  if (ec) {
    return fail(refusal, "bundle-unreadable",
                "cannot read " + source.string() + " (" + ec.message() +
                    "); give a plugin directory or its manifest file");
  }
  if (!fs::is_directory(status)) {
    out = source;  // a manifest file; read_regular judges what it is
    return true;
  }
  if (fs::exists(fs::symlink_status(source / "manifest.yml", ec))) {
    out = source / "manifest.yml";
    return true;
  }
  std::vector<fs::path> found;
  for (fs::directory_iterator it(source, ec), end; !ec && it != end; it.increment(ec)) {
    const auto ext = it->path().extension();
    if (ext == ".yml" || ext == ".yaml") found.push_back(it->path());
  }
  if (ec) {
    return fail(refusal, "bundle-unreadable",
                "cannot list " + source.string() + " (" + ec.message() + ")");
  }
  if (found.size() == 1) {
    out = found[0];
    return true;
  }
  if (found.empty()) {
    return fail(refusal, "bundle-format",
                source.string() +
                    " holds no manifest (manifest.yml or ID.yml); a plugin directory holds the "
                    "manifest and the library it names");
  }
  std::sort(found.begin(), found.end());
  return fail(refusal, "bundle-format",
              source.string() + " holds " + std::to_string(found.size()) + " manifests (" +
                  found[0].filename().string() + ", " + found[1].filename().string() +
                  ", ...); give the one to use, e.g. " + found[0].string());
}

}  // namespace

bool check_manifest(std::string_view bytes, const std::string& display_name,
                    manifest::Manifest& out, Refusal& refusal) {
  auto checked = manifest::check_text(bytes, display_name);
  if (checked.ok()) {
    out = *checked.manifest;
    return true;
  }
  std::string first = "it is not a valid manifest";
  for (const auto& d : checked.diagnostics) {
    if (d.severity == manifest::Severity::error) {
      first = manifest::format(d);
      break;
    }
  }
  return fail(refusal, "bundle-manifest",
              "the manifest " + display_name + " has errors (first: " + first +
                  "); fix it ('vitrine manifest check') and pack the plugin again");
}

bool check_library(std::string_view bytes, const std::string& name, Refusal& refusal) {
  auto refuse = [&](const std::string& what) {
    return fail(refusal, "bundle-mismatch",
                "the library " + name + " " + what +
                    ", so it cannot be the plugin the manifest describes; pack the built .so");
  };
  if (bytes.size() < sizeof(Elf64_Ehdr) || bytes.substr(0, SELFMAG) != ELFMAG) {
    return refuse("is not an ELF file");
  }
  const auto data = static_cast<unsigned char>(bytes[EI_DATA]);
  const auto lo = static_cast<unsigned char>(bytes[16]);
  const auto hi = static_cast<unsigned char>(bytes[17]);
  // e_type sits at offset 16 in both ELF classes, in the file's byte order.
  const unsigned type = data == ELFDATA2MSB ? (lo << 8 | hi) : (hi << 8 | lo);
  if (type != ET_DYN) return refuse("is an ELF file but not a shared object");
  return true;
}

bool check_entry_name(std::string_view name, Refusal& refusal) {
  auto refuse = [&](const std::string& what) {
    return fail(refusal, "bundle-path",
                "the entry name '" + std::string(name) + "' " + what +
                    "; a bundle holds only plain file names (the manifest and its library), so "
                    "do not install it and ask the publisher to pack it with 'vitrine plugins "
                    "pack'");
  };
  if (name.empty()) return refuse("is empty");
  if (name.front() == '/') return refuse("is an absolute path");
  if (name.find('/') != std::string_view::npos || name.find('\\') != std::string_view::npos) {
    return refuse(name.find("..") != std::string_view::npos ? "climbs out of the plugin directory"
                                                            : "has a directory part");
  }
  if (name.front() == '.') return refuse("starts with '.'");
  if (name.size() > 255) return refuse("is longer than 255 bytes");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == '+';
    if (!ok) return refuse("has a character other than letters, digits, '_', '-', '.', '+'");
  }
  return true;
}

bool read_plugin_files(const fs::path& source, PluginFiles& out, Refusal& refusal) {
  fs::path manifest_path;
  if (!find_manifest(source, manifest_path, refusal)) return false;
  if (!read_regular(manifest_path, kMaxManifestBytes, out.manifest_bytes, refusal)) return false;
  if (!check_manifest(out.manifest_bytes, manifest_path.string(), out.manifest, refusal)) {
    return false;
  }
  out.manifest.path = manifest_path;
  const fs::path library = manifest_path.parent_path() / out.manifest.library;
  if (!read_regular(library, kMaxLibraryBytes, out.library_bytes, refusal)) return false;
  return check_library(out.library_bytes, out.manifest.library, refusal);
}

}  // namespace vitrine::bundle
