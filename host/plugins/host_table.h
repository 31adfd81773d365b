// The vitrine_host table handed to every plugin's create(): the host's ABI
// version and a registry of capability tables by versioned id (ABI-4).
// Modules that implement a capability (egress for http/1, store for cache/1,
// ...) register their table here before any plugin is created.
#pragma once

#include <map>
#include <string>

#include "vitrine/plugin.h"

namespace vitrine::plugins {

class HostTable {
 public:
  // `abi` is what the host declares to plugins; only tests pass another
  // version, to exercise negotiation against a newer host.
  explicit HostTable(vitrine_version abi = {VITRINE_ABI_MAJOR, VITRINE_ABI_MINOR, VITRINE_ABI_PATCH,
                                            0});
  HostTable(const HostTable&) = delete;
  HostTable& operator=(const HostTable&) = delete;

  // Registers a frozen table under its id. The table must outlive the host.
  // Registering happens before plugins are created; lookups afterwards are
  // read-only and therefore [thread-safe].
  void offer(std::string id, const void* table);

  const vitrine_host* abi() const { return &abi_.host; }

 private:
  // vitrine_host first, so a vitrine_host* handed back by a plugin converts
  // to its owner without a global: two hosts in one process stay apart.
  struct Abi {
    vitrine_host host;
    const HostTable* owner;
  };
  static const void* get_capability(const vitrine_host* host, const char* id);
  Abi abi_{};
  std::map<std::string, const void*, std::less<>> capabilities_;
};

}  // namespace vitrine::plugins
