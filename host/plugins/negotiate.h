// ABI negotiation and the entry/manifest cross-check: pure functions over
// the bytes the loader found, so every refusal path is unit-testable without
// building a broken shared library for each.
#pragma once

#include <cstddef>
#include <optional>

#include "manifest/manifest.h"
#include "plugins/refusal.h"
#include "vitrine/plugin.h"

namespace vitrine::plugins {

// The smallest entry a v1 host accepts: every field up to and including
// create (ABI-3).
inline constexpr size_t kMinEntrySize = sizeof(vitrine_plugin_entry);

// `symbol_size` is the ELF size of the exported object (0 when unknown). The
// entry is read only after its size is known to cover the fields read.
// `host_abi` is the version the host table declares (ABI-1).
std::optional<Refusal> check_entry(const vitrine_plugin_entry& entry, size_t symbol_size,
                                   const manifest::Manifest& manifest,
                                   const std::filesystem::path& library, vitrine_version host_abi);

}  // namespace vitrine::plugins
