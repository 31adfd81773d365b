#include "plugins/negotiate.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace vitrine::plugins {
namespace {

std::string version_text(unsigned major, unsigned minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// Reads a NUL-terminated string the plugin promised to keep alive, bounded
// so a corrupt pointer to a huge unterminated buffer cannot run away.
std::string bounded(const char* s) {
  if (s == nullptr) return {};
  const void* end = std::memchr(s, '\0', 256);
  return end == nullptr ? std::string(s, 256) : std::string(s);
}

}  // namespace

std::optional<Refusal> check_entry(const vitrine_plugin_entry& entry, size_t symbol_size,
                                   const manifest::Manifest& m,
                                   const std::filesystem::path& library, vitrine_version host_abi) {
  const std::string host_text = version_text(host_abi.major, host_abi.minor);
  auto refuse = [&](std::string rule, std::string message) {
    return Refusal{m.id, library, std::move(rule), std::move(message)};
  };
  // ABI-3: the size the plugin claims must cover every v1 field, and the
  // exported object must really be that large (a truncated struct in the
  // binary would otherwise make us read past it).
  if (symbol_size != 0 && symbol_size < sizeof(uint32_t)) {
    return refuse("entry-truncated", "the exported '" VITRINE_ENTRY_SYMBOL "' object is " +
                                         std::to_string(symbol_size) +
                                         " bytes, too small to be a plugin entry; rebuild the "
                                         "plugin with the SDK's VITRINE_ENTRY_INIT");
  }
  if (entry.struct_size < kMinEntrySize) {
    return refuse("entry-struct-size",
                  "entry struct_size is " + std::to_string(entry.struct_size) +
                      " bytes, a v1 entry needs at least " + std::to_string(kMinEntrySize) +
                      "; rebuild the plugin against the current plugin_api headers");
  }
  if (symbol_size != 0 && symbol_size < entry.struct_size) {
    return refuse("entry-truncated",
                  "entry claims struct_size " + std::to_string(entry.struct_size) +
                      " but the exported object is only " + std::to_string(symbol_size) +
                      " bytes; rebuild the plugin with the SDK's VITRINE_ENTRY_INIT");
  }
  // ABI-1: same major, plugin minor <= host minor.
  const std::string plugin_abi = version_text(entry.abi.major, entry.abi.minor);
  if (entry.abi.major != host_abi.major) {
    return refuse("abi-major-mismatch",
                  "built for plugin ABI " + plugin_abi + ", this host provides ABI " + host_text +
                      "; a different major version is incompatible: rebuild the plugin against "
                      "the SDK of ABI " +
                      std::to_string(host_abi.major) + ".x");
  }
  if (entry.abi.minor > host_abi.minor) {
    return refuse("abi-minor-too-new",
                  "built for plugin ABI " + plugin_abi + ", this host provides ABI " + host_text +
                      "; upgrade the host to a release with ABI >= " + plugin_abi +
                      ", or rebuild the plugin against this host's SDK");
  }
  if (entry.create == nullptr) {
    return refuse("entry-no-create", "entry has no create function; set it in VITRINE_ENTRY_INIT");
  }
  // ABI-11: the entry must agree with the manifest the admin approved.
  const std::string id = bounded(entry.plugin_id);
  if (id != m.id) {
    return refuse("manifest-id-mismatch", "library says plugin id '" + id +
                                              "' but the manifest says '" + m.id +
                                              "'; ship the manifest that belongs to this library");
  }
  const std::string version = bounded(entry.plugin_version);
  if (version != m.version) {
    return refuse("manifest-version-mismatch",
                  "library is version " + version + " but the manifest says " + m.version +
                      "; ship the manifest that belongs to this library");
  }
  if (entry.abi.major != m.abi.major || entry.abi.minor != m.abi.minor) {
    return refuse("manifest-abi-mismatch", "library was built for ABI " + plugin_abi +
                                               " but the manifest declares abi " +
                                               version_text(m.abi.major, m.abi.minor) +
                                               "; set plugin.abi to \"" + plugin_abi + "\"");
  }
  std::vector<std::string> lib_keys;
  for (const char* const* k = entry.macro_keys; k != nullptr && *k != nullptr; ++k) {
    if (lib_keys.size() > 256) break;
    lib_keys.push_back(bounded(*k));
  }
  std::vector<std::string> manifest_keys;
  for (const auto& macro : m.macros) manifest_keys.push_back(macro.key);
  std::sort(lib_keys.begin(), lib_keys.end());
  std::sort(manifest_keys.begin(), manifest_keys.end());
  if (lib_keys != manifest_keys) {
    auto join = [](const std::vector<std::string>& v) {
      std::string out;
      for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
      return out.empty() ? std::string("(none)") : out;
    };
    return refuse("manifest-macro-mismatch",
                  "library implements macros [" + join(lib_keys) + "] but the manifest declares [" +
                      join(manifest_keys) + "]; make the manifest's macros match the library");
  }
  return std::nullopt;
}

}  // namespace vitrine::plugins
