// What the render path asks about a space on every macro (which plugins
// are enabled, which Grafana it is connected to), read from the store once
// and kept until the store changes or max_age passes, instead of two store
// reads per macro.
//
// Coherence: every audited store write made by this process (the server's
// API and UI, tests) bumps Store::changes(), which drops every snapshot at
// once. Writes made by another process on the same database (the CLI)
// apply within max_age. docs/admin.md says so.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>

#include "egress/policy.h"

namespace vitrine::runtime {

struct SpaceState {
  // The space's immutable id; empty when no space has the key. Part of every
  // render cache key, so a space deleted and created again under the same
  // key never sees its predecessor's fragments.
  std::string space_id;
  std::set<std::string> enabled_plugins;
  // Absent when the space does not exist or is not connected to Grafana.
  std::optional<egress::SpaceOrigins> origins;
};

class SpaceStates {
 public:
  using Loader = std::function<SpaceState(const std::string& space)>;
  using Generation = std::function<uint64_t()>;
  // max_age 0 disables keeping snapshots (every get() loads).
  SpaceStates(Loader loader, Generation generation, std::chrono::milliseconds max_age)
      : loader_(std::move(loader)), generation_(std::move(generation)), max_age_(max_age) {}

  // [thread-safe] Never null.
  std::shared_ptr<const SpaceState> get(const std::string& space);

 private:
  struct Snapshot {
    std::shared_ptr<const SpaceState> state;
    std::chrono::steady_clock::time_point loaded;
    uint64_t generation = 0;
  };
  Loader loader_;
  Generation generation_;
  std::chrono::milliseconds max_age_;
  std::shared_mutex mu_;  // shared for lookups, exclusive to store
  std::map<std::string, Snapshot> snapshots_;
};

}  // namespace vitrine::runtime
