// Loading a plugin into the mock host: the same steps and the same refusals
// as the host's loader (host/plugins/loader.cpp, negotiate.cpp), minus the
// manifest cross-check, so an author meets an ABI problem in a unit test
// with the words and rule id the host would use.
#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "mock_state.h"

namespace vitrine::mock {
namespace {

std::string bounded(const char* s) {
  if (s == nullptr) return {};
  const void* end = std::memchr(s, '\0', 256);
  return end == nullptr ? std::string(s, 256) : std::string(s);
}

// The ELF size of the exported object, 0 when unknown (ABI-3: the entry
// must really be as large as it claims).
size_t symbol_size(const void* address) {
  Dl_info info{};
  void* extra = nullptr;
  if (dladdr1(address, &info, &extra, RTLD_DL_SYMENT) == 0 || extra == nullptr) return 0;
  return static_cast<size_t>(static_cast<const ElfW(Sym)*>(extra)->st_size);
}

struct ReasonSink {
  vitrine_sink sink{sizeof(vitrine_sink), this, &ReasonSink::write};
  std::string text;
  static vitrine_status write(vitrine_sink* s, const char* data, size_t len) {
    auto* self = static_cast<ReasonSink*>(s->host_data);
    if (data == nullptr && len != 0) return VITRINE_E_INVALID;
    const size_t room = 4096 - std::min<size_t>(self->text.size(), 4096);
    self->text.append(data == nullptr ? "" : data, std::min(len, room));
    return len > room ? VITRINE_E_TOO_LARGE : VITRINE_OK;
  }
};

std::string version_text(unsigned major, unsigned minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

}  // namespace

vitrine_status load(vitrine_mock_host& h, const char* path) {
  auto refuse = [&](vitrine_status st, const std::string& rule, const std::string& message) {
    h.load_error = std::string("cannot load plugin '") + path + "': " + message + " [" + rule + "]";
    return st;
  };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return refuse(VITRINE_E_NOT_FOUND, "library-missing",
                  "no such file; build the plugin first, or pass the path of its .so");
  }
  // RTLD_LOCAL and RTLD_NOW as the host loads plugins: missing symbols are
  // reported here, not in the middle of a render.
  void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* err = dlerror();
    return refuse(VITRINE_E_NOT_FOUND, "library-load",
                  std::string("the library cannot be loaded (") + (err ? err : "unknown error") +
                      "); check that it is a shared library built for this platform");
  }
  // Never dlclose: plugins are never unloaded (ABI-10), and a test process
  // may load the same library into several mock hosts.
  const auto* entry = static_cast<const vitrine_plugin_entry*>(dlsym(lib, VITRINE_ENTRY_SYMBOL));
  if (entry == nullptr) {
    return refuse(VITRINE_E_NOT_FOUND, "entry-missing",
                  "the library exports no '" VITRINE_ENTRY_SYMBOL
                  "' symbol, so it is not a Vitrine plugin; define it with VITRINE_EXPORT and "
                  "VITRINE_ENTRY_INIT");
  }
  const size_t size = symbol_size(entry);
  if (size != 0 && size < sizeof(uint32_t)) {
    return refuse(VITRINE_E_DENIED, "entry-truncated",
                  "the exported '" VITRINE_ENTRY_SYMBOL "' object is " + std::to_string(size) +
                      " bytes, too small to be a plugin entry; rebuild the plugin with "
                      "VITRINE_ENTRY_INIT");
  }
  if (entry->struct_size < sizeof(vitrine_plugin_entry)) {
    return refuse(VITRINE_E_DENIED, "entry-struct-size",
                  "entry struct_size is " + std::to_string(entry->struct_size) +
                      " bytes, a v1 entry needs at least " +
                      std::to_string(sizeof(vitrine_plugin_entry)) +
                      "; rebuild the plugin against the current plugin_api headers");
  }
  if (size != 0 && size < entry->struct_size) {
    return refuse(VITRINE_E_DENIED, "entry-truncated",
                  "entry claims struct_size " + std::to_string(entry->struct_size) +
                      " but the exported object is only " + std::to_string(size) +
                      " bytes; rebuild the plugin with VITRINE_ENTRY_INIT");
  }
  const std::string plugin_abi = version_text(entry->abi.major, entry->abi.minor);
  const std::string host_abi = version_text(VITRINE_ABI_MAJOR, VITRINE_ABI_MINOR);
  if (entry->abi.major != VITRINE_ABI_MAJOR) {
    return refuse(VITRINE_E_DENIED, "abi-major-mismatch",
                  "built for plugin ABI " + plugin_abi + ", this mock host provides ABI " +
                      host_abi +
                      "; a different major version is incompatible: rebuild the plugin against "
                      "the SDK of ABI " +
                      std::to_string(VITRINE_ABI_MAJOR) + ".x");
  }
  if (entry->abi.minor > VITRINE_ABI_MINOR) {
    return refuse(VITRINE_E_DENIED, "abi-minor-too-new",
                  "built for plugin ABI " + plugin_abi + ", this mock host provides ABI " +
                      host_abi + "; upgrade the SDK to a release with ABI >= " + plugin_abi +
                      ", or rebuild the plugin against this SDK");
  }
  if (entry->create == nullptr) {
    return refuse(VITRINE_E_DENIED, "entry-no-create",
                  "entry has no create function; set it in VITRINE_ENTRY_INIT");
  }
  std::vector<std::string> keys;
  for (const char* const* k = entry->macro_keys; k != nullptr && *k != nullptr; ++k) {
    if (keys.size() > 256) break;
    keys.push_back(bounded(*k));
  }
  if (keys.empty()) {
    return refuse(VITRINE_E_DENIED, "manifest-macro-mismatch",
                  "entry declares no macro keys; list them, NULL-terminated, in "
                  "VITRINE_ENTRY_INIT");
  }
  ReasonSink reason;
  const vitrine_plugin* instance = nullptr;
  const vitrine_status st = entry->create(&h.table.table, &instance, &reason.sink);
  if (st != VITRINE_OK || instance == nullptr) {
    refuse(st != VITRINE_OK ? st : VITRINE_E_INTERNAL, "create-failed",
           std::string("create() failed with status ") + vitrine_mock_status_name(st) +
               (reason.text.empty() ? std::string(" and gave no reason") : ": " + reason.text));
    return st != VITRINE_OK ? st : VITRINE_E_INTERNAL;
  }
  if (instance->struct_size < sizeof(vitrine_plugin) || instance->render == nullptr) {
    return refuse(VITRINE_E_DENIED, "instance-invalid",
                  "create() returned a plugin without a render function or with struct_size " +
                      std::to_string(instance->struct_size) + "; rebuild against the SDK");
  }
  h.entry = entry;
  h.plugin = instance;
  h.plugin_id = bounded(entry->plugin_id);
  h.plugin_version = bounded(entry->plugin_version);
  h.macro_keys = std::move(keys);
  h.load_error.clear();
  return VITRINE_OK;
}

}  // namespace vitrine::mock
