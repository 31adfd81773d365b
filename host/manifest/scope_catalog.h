// The closed catalog of permission scopes a manifest may request. The source
// of truth is manifests/scopes.yml, compiled into the host at build time so
// the binary needs no data files to decide.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vitrine::manifest {

struct Scope {
  std::string id;           // e.g. "grafana:read:alerts"
  std::string description;
  // Grafana API path prefixes this scope opens for GET, e.g.
  // "/api/prometheus/grafana/api/v1/rules". Empty for non-HTTP scopes
  // (storage:cache, storage:assets). A prefix matches a path when the path
  // equals it or continues it with '/' or '?'.
  std::vector<std::string> path_prefixes;
};

const std::vector<Scope>& scope_catalog();
const Scope* find_scope(std::string_view id);

}  // namespace vitrine::manifest
