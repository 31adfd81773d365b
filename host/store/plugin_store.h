// The plugin store: which plugin artifacts are installed, which version of
// a plugin a platform admin pinned (rollback), and which publisher keys sign
// bundles. These are desired state: writers (CLI, API, UI) change them in
// audited transactions that bump the change feed; every running host
// reconciles its loaded plugins to them (reconcile/plugin_plan.h).
//
// An artifact is a manifest and its library, stored content-addressed and
// read-only under the data directory:
//     <data_dir>/plugins/<sha256 of the library>/<sha256 of the manifest>.yml
//     <data_dir>/plugins/<sha256 of the library>/<library file name>
// so a file dropped into plugins_dir later never changes what was installed
// (or approved) before: a different library is a different artifact.
// Loading re-hashes both files and refuses an artifact whose bytes no
// longer match its row [plugin-artifact-tampered].
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "store/backend.h"
#include "store/context.h"

namespace vitrine::store {

struct InstallRequest {
  std::string manifest_bytes;
  std::string library_bytes;
  std::string signer;  // trusted publisher name; empty: unsigned (the caller allowed it)
  std::string source;  // shown in listings: a path, a bundle, "plugins_dir"
};

struct Installed {
  ArtifactRow row;
  bool added = false;  // false: these exact bytes were installed already
};

// An artifact with its checked manifest; manifest.path points at the stored
// manifest, so the loader finds the stored library beside it.
struct LoadedArtifact {
  ArtifactRow row;
  manifest::Manifest manifest;
};

class PluginStore {
 public:
  PluginStore(Context ctx, std::filesystem::path data_dir)
      : ctx_(std::move(ctx)), data_dir_(std::move(data_dir)) {}

  // Checks the manifest, writes both files (atomically, read-only) and
  // records the artifact (audited "plugin.install", unsigned or by whom
  // signed). Installing the same bytes again is not an error.
  Result<Installed> install(const std::string& who, const InstallRequest& request);
  // Reads the manifest and library of a plugins_dir-style directory entry
  // (MANIFEST file + the library it names beside it) into a request.
  static Result<InstallRequest> read_directory_entry(const std::filesystem::path& manifest_file);

  Result<std::vector<ArtifactRow>> list();
  // Re-hashes the stored files and parses the manifest.
  Result<LoadedArtifact> load(const ArtifactRow& row);

  // Rollback: run VERSION of PLUGIN (which must have an approved artifact)
  // instead of the newest approved version, until unpinned. Audited.
  Status pin(const std::string& who, const std::string& plugin_id, const std::string& version);
  Status unpin(const std::string& who, const std::string& plugin_id);
  Result<std::vector<PinRow>> pins();

  // Publisher keys (base64 of 32 raw Ed25519 bytes). Audited.
  Status trust(const std::string& who, const std::string& name, const std::string& public_key);
  Status distrust(const std::string& who, const std::string& name);
  Result<std::vector<PublisherRow>> publishers();

 private:
  Context ctx_;
  std::filesystem::path data_dir_;
};

// MAJOR.MINOR.PATCH compared numerically; false for malformed versions.
bool version_less(const std::string& a, const std::string& b);

}  // namespace vitrine::store
