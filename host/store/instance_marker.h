// The data directory's instance marker: <data_dir>/INSTANCE, written once
// when the directory is first initialised (atomically: temp file, fsync,
// rename). It lets Store::open tell "a new installation" (no marker: create
// an empty database) from "an installation whose database was lost" (marker
// present, vitrine.db missing or empty: refuse to start instead of silently
// serving from an empty database).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "store/result.h"

namespace vitrine::store {

inline constexpr const char* kInstanceFileName = "INSTANCE";

struct InstanceMarker {
  std::string id;       // 32 lowercase hex characters, random
  std::string created;  // UTC, e.g. 2026-12-07T01:30:00Z; empty when unreadable
};

// nullopt when the marker file does not exist. A marker that exists but
// cannot be parsed still counts as present (its fields are then empty):
// the directory was initialised, whatever happened to the file since.
std::optional<InstanceMarker> read_instance_marker(const std::filesystem::path& data_dir);

// Writes a fresh marker (random id, `now_ms` as creation time).
Result<InstanceMarker> write_instance_marker(const std::filesystem::path& data_dir, int64_t now_ms);

}  // namespace vitrine::store
