#include "plugins/host_table.h"

#include <cstring>

#include "vitrine_version.h"

namespace vitrine::plugins {

HostTable::HostTable(vitrine_version abi) {
  abi_.host.struct_size = sizeof(vitrine_host);
  abi_.host.abi = abi;
  abi_.host.host_name = "vitrine";
  abi_.host.host_version = VITRINE_VERSION;
  abi_.host.get_capability = &HostTable::get_capability;
  abi_.owner = this;
}

void HostTable::offer(std::string id, const void* table) { capabilities_[std::move(id)] = table; }

const void* HostTable::get_capability(const vitrine_host* host, const char* id) {
  if (host == nullptr || id == nullptr) return nullptr;
  const HostTable* self = reinterpret_cast<const Abi*>(host)->owner;
  auto it = self->capabilities_.find(std::string_view(id, strnlen(id, 128)));
  return it == self->capabilities_.end() ? nullptr : it->second;
}

}  // namespace vitrine::plugins
