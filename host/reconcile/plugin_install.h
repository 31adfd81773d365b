// Installing a plugin artifact into the plugin store, shared by `vitrine
// plugins install`, POST /api/v1/plugins and the console's Plugins page.
// A signed bundle is verified against the trusted publisher keys; an
// unsigned bundle or directory only with allow_unsigned. Nothing runs until
// a platform admin approves the installed version (plugin_ops.h).
//
// The server installs bundles only from its configured plugins directory,
// by file name: plugin libraries are several MiB (above the request body
// limit), and the host takes no executable code over the port that serves
// pages. Operators place bundles there with their deployment tooling.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "store/store.h"

namespace vitrine::reconcile {

// Installs a .vitrine-plugin bundle, or an unsigned plugin directory /
// manifest. A refusal is `invalid` with the path, the reason and its rule,
// and "nothing was installed".
store::Result<store::Installed> install_plugin(store::Store& store, const std::string& who,
                                               const std::filesystem::path& path,
                                               bool allow_unsigned);

// The .vitrine-plugin file names directly in `dir`, sorted.
std::vector<std::string> bundles_in(const std::filesystem::path& dir);

// `dir`/`name` when `name` is the plain file name of a bundle in `dir` (no
// directory parts, ends in .vitrine-plugin, exists); invalid or not_found
// with what to do otherwise.
store::Result<std::filesystem::path> bundle_in(const std::filesystem::path& dir,
                                               const std::string& name);

}  // namespace vitrine::reconcile
