// What `vitrine plugins validate` was given, as manifests the worker can
// load: a plugin directory (every manifest in it), one manifest file, or a
// bundle verified like `plugins install` verifies it and unpacked into a
// temporary directory that lives as long as the PluginSource.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "manifest/manifest.h"

namespace vitrine::validate {

struct PluginSource {
  std::vector<manifest::Manifest> manifests;
  std::vector<std::string> manifest_names;  // how each is named in advice
  std::filesystem::path temp_dir;           // the unpacked bundle; removed on destruction
  std::string error;                        // non-empty: nothing to validate (exit 2)

  PluginSource() = default;
  PluginSource(const PluginSource&) = delete;
  PluginSource& operator=(const PluginSource&) = delete;
  PluginSource(PluginSource&&) = default;
  ~PluginSource();
};

// `trust_keys` are publisher public-key files (keygen's PREFIX.pub) a
// signed bundle may be signed by; an unsigned bundle or directory needs no
// key. `allow_unsigned` accepts an unsigned bundle.
PluginSource open_plugin_source(const std::filesystem::path& path,
                                const std::vector<std::filesystem::path>& trust_keys,
                                bool allow_unsigned);

}  // namespace vitrine::validate
