// One plugin's two files, a manifest and the library it names, read and
// checked the same way whether they come from a bundle or a directory:
// the manifest must pass the manifest checker and the library must be an
// ELF shared object. Reading from disk never follows a symlink.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "bundle/refusal.h"
#include "manifest/manifest.h"

namespace vitrine::bundle {

struct PluginFiles {
  manifest::Manifest manifest;  // checked; path is where it was read from (empty for a bundle)
  std::string manifest_bytes;
  std::string library_bytes;
};

// Checks manifest text: bundle-manifest with the first diagnostic when the
// manifest checker finds an error.
bool check_manifest(std::string_view bytes, const std::string& display_name,
                    manifest::Manifest& out, Refusal& refusal);

// Checks that `bytes` is an ELF shared object: bundle-mismatch otherwise
// (the manifest names a library that is not one).
bool check_library(std::string_view bytes, const std::string& name, Refusal& refusal);

// A plain entry name: letters, digits, '_', '-', '.', '+', not starting
// with '.', at most 255 bytes. Anything else (a '/', "..", an absolute
// path) is bundle-path.
bool check_entry_name(std::string_view name, Refusal& refusal);

// Reads a plugin from `source`: a manifest file, or a directory holding
// manifest.yml or exactly one *.yml; the library is the file the manifest
// names, beside it. Symlinks are bundle-path, files over the size limits
// bundle-too-large, an unreadable file bundle-unreadable.
bool read_plugin_files(const std::filesystem::path& source, PluginFiles& out, Refusal& refusal);

}  // namespace vitrine::bundle
