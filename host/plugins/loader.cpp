#include "plugins/loader.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <map>
#include <memory>
#include <system_error>

#include "plugins/negotiate.h"

namespace vitrine::plugins {
namespace {

namespace fs = std::filesystem;

// ABI-10: libraries stay mapped until exit. Unloading a plugin whose threads,
// atexit handlers or returned strings may still be referenced is a classic
// use-after-unmap; never unloading removes the whole class of bug.
std::vector<boost::dll::shared_library>& keep_alive() {
  static auto* libs = new std::vector<boost::dll::shared_library>();
  return *libs;
}

// The ELF size of the object at `addr`, or 0 when the dynamic linker cannot
// say. This is how a truncated entry is caught before any field past the
// symbol's end is read.
size_t symbol_size(const void* addr) {
  Dl_info info{};
  void* extra = nullptr;
  if (dladdr1(addr, &info, &extra, RTLD_DL_SYMENT) == 0 || extra == nullptr) return 0;
  return static_cast<size_t>(static_cast<const ElfW(Sym)*>(extra)->st_size);
}

// The reason sink create() writes into: bounded, host-owned (ABI-9).
struct ReasonSink {
  vitrine_sink sink{};
  std::string text;
  static vitrine_status write(vitrine_sink* s, const char* data, size_t len) {
    auto* self = static_cast<ReasonSink*>(s->host_data);
    if (data == nullptr && len != 0) return VITRINE_E_INVALID;
    size_t room = 1024 - std::min<size_t>(1024, self->text.size());
    self->text.append(data, std::min(room, len));
    return len > room ? VITRINE_E_TOO_LARGE : VITRINE_OK;
  }
  ReasonSink() {
    sink.struct_size = sizeof(vitrine_sink);
    sink.host_data = this;
    sink.write = &ReasonSink::write;
  }
};

}  // namespace

bool load_plugin(const manifest::Manifest& m, const vitrine_host* host, LoadedPlugin& out,
                 Refusal& refusal) {
  const fs::path library = m.path.parent_path() / m.library;
  auto refuse = [&](std::string rule, std::string message) {
    refusal = Refusal{m.id, library, std::move(rule), std::move(message)};
    return false;
  };
  std::error_code ec;
  if (!fs::is_regular_file(library, ec)) {
    return refuse("library-missing", "the manifest names library '" + m.library +
                                         "' but no such file is beside it; build the plugin or "
                                         "fix plugin.library in the manifest");
  }
  boost::dll::shared_library lib;
  boost::system::error_code load_ec;
  // RTLD_LOCAL keeps a plugin's symbols out of the global namespace, so two
  // plugins bundling different versions of one library cannot interpose on
  // each other; RTLD_NOW surfaces missing symbols here, not mid-render.
  lib.load(boost::dll::fs::path(library.string()),
           boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, load_ec);
  if (load_ec) {
    const char* err = dlerror();
    return refuse("library-load",
                  "the library cannot be loaded (" +
                      (err != nullptr ? std::string(err) : load_ec.message()) +
                      "); check that it is a shared library built for this platform");
  }
  keep_alive().push_back(lib);  // its static constructors have run: keep it (ABI-10)
  if (!lib.has(VITRINE_ENTRY_SYMBOL)) {
    return refuse("entry-missing", "the library exports no '" VITRINE_ENTRY_SYMBOL
                                   "' symbol, so it is not a Vitrine plugin; define it with "
                                   "VITRINE_EXPORT and VITRINE_ENTRY_INIT");
  }
  const auto& entry = lib.get<const vitrine_plugin_entry>(VITRINE_ENTRY_SYMBOL);
  if (auto r = check_entry(entry, symbol_size(&entry), m, library, host->abi)) {
    refusal = *r;
    return false;
  }
  ReasonSink reason;
  const vitrine_plugin* instance = nullptr;
  vitrine_status st = entry.create(host, &instance, &reason.sink);
  if (st != VITRINE_OK || instance == nullptr) {
    return refuse("create-failed", "create() failed with status " + std::to_string(st) +
                                       (reason.text.empty() ? std::string(" and gave no reason")
                                                            : ": " + reason.text) +
                                       "; see the plugin's documentation for what it needs");
  }
  if (instance->struct_size < sizeof(vitrine_plugin) || instance->render == nullptr) {
    return refuse("instance-invalid",
                  "create() returned a plugin without a render function or with struct_size " +
                      std::to_string(instance->struct_size) + "; rebuild against the SDK");
  }
  out = LoadedPlugin{m, library, &entry, instance};
  return true;
}

Discovery discover_plugins(const fs::path& dir) {
  Discovery report;
  std::error_code ec;
  std::vector<fs::path> manifests;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".yml" || it->path().extension() == ".yaml") {
      manifests.push_back(it->path());
    }
  }
  if (ec) {
    // Not a plugin: no id, so the line names the directory, not a plugin
    // called after its last path component.
    report.refused.push_back(
        Refusal{"", dir, "plugins-dir-unreadable",
                "cannot be read (" + ec.message() + "); check --plugins-dir and its permissions"});
    return report;
  }
  std::sort(manifests.begin(), manifests.end());

  std::map<std::string, std::string> macro_owner;
  std::map<std::string, std::string> id_owner;
  for (const auto& path : manifests) {
    auto checked = manifest::check_file(path);
    if (!checked.ok()) {
      std::string first;
      for (const auto& d : checked.diagnostics) {
        report.diagnostics.push_back(manifest::format(d));
        if (first.empty() && d.severity == manifest::Severity::error) first = d.message;
      }
      report.refused.push_back(Refusal{path.stem().string(), path, "manifest-invalid",
                                       "the manifest has errors (first: " + first +
                                           "); run 'vitrine manifest check " + path.string() +
                                           "'"});
      continue;
    }
    const auto& m = *checked.manifest;
    if (auto it = id_owner.find(m.id); it != id_owner.end()) {
      report.refused.push_back(Refusal{m.id, path, "plugin-id-conflict",
                                       "plugin id '" + m.id + "' is already provided by " +
                                           it->second + "; remove one of the two"});
      continue;
    }
    std::string conflict;
    for (const auto& macro : m.macros) {
      if (auto it = macro_owner.find(macro.key); it != macro_owner.end()) {
        conflict = "macro key '" + macro.key + "' is already provided by plugin '" + it->second +
                   "'; rename the macro or disable one of the two plugins";
        break;
      }
    }
    if (!conflict.empty()) {
      report.refused.push_back(Refusal{m.id, path, "macro-key-conflict", conflict});
      continue;
    }
    id_owner[m.id] = path.string();
    for (const auto& macro : m.macros) macro_owner[macro.key] = m.id;
    report.manifests.push_back(m);
  }
  return report;
}

LoadReport load_plugins_dir(const fs::path& dir, const vitrine_host* host) {
  Discovery found = discover_plugins(dir);
  LoadReport report;
  report.refused = std::move(found.refused);
  report.diagnostics = std::move(found.diagnostics);
  for (const auto& m : found.manifests) {
    LoadedPlugin loaded;
    Refusal refusal;
    if (load_plugin(m, host, loaded, refusal)) {
      report.loaded.push_back(std::move(loaded));
    } else {
      report.refused.push_back(std::move(refusal));
    }
  }
  return report;
}

}  // namespace vitrine::plugins
