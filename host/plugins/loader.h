// Loads renderer plugins from a directory: each `*.yml` manifest names a
// shared library beside it. The manifest is checked before the library is
// opened, the library is opened with RTLD_NOW|RTLD_LOCAL, only the entry
// symbol is resolved, the ABI is negotiated and cross-checked against the
// manifest, and only then is create() called. Libraries are never unloaded
// (ABI-10): a plugin's code and strings stay valid for the process lifetime.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "plugins/refusal.h"
#include "vitrine/plugin.h"

namespace vitrine::plugins {

struct LoadedPlugin {
  manifest::Manifest manifest;
  std::filesystem::path library;
  const vitrine_plugin_entry* entry = nullptr;
  const vitrine_plugin* instance = nullptr;  // created, never destroyed before exit
};

struct LoadReport {
  std::vector<LoadedPlugin> loaded;
  std::vector<Refusal> refused;
  // Manifest diagnostics of refused manifests, already formatted.
  std::vector<std::string> diagnostics;
};

// Loads one plugin whose manifest has already been checked.
// On refusal returns false and fills `refusal`.
bool load_plugin(const manifest::Manifest& manifest, const vitrine_host* host, LoadedPlugin& out,
                 Refusal& refusal);

// Checks every manifest in `dir` (sorted by file name) without opening any
// library: the manifests that may be loaded, and refusals for invalid ones
// and for plugin-id and macro-key conflicts (ABI-11).
struct Discovery {
  std::vector<manifest::Manifest> manifests;
  std::vector<Refusal> refused;
  std::vector<std::string> diagnostics;
};
Discovery discover_plugins(const std::filesystem::path& dir);

// Loads every manifest in `dir` (sorted by file name, so conflicts resolve
// the same way on every start). A macro key already taken by an earlier
// plugin refuses the later one (rule macro-key-conflict).
LoadReport load_plugins_dir(const std::filesystem::path& dir, const vitrine_host* host);

}  // namespace vitrine::plugins
