#include "manifest/scope_catalog.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <exception>

namespace vitrine::manifest {
namespace detail {
extern const std::string_view kScopesYaml;
}  // namespace detail

namespace {

std::vector<Scope> load_catalog() {
  std::vector<Scope> scopes;
  try {
    YAML::Node root = YAML::Load(std::string(detail::kScopesYaml));
    for (const auto& node : root["scopes"]) {
      Scope scope;
      scope.id = node["id"].as<std::string>();
      scope.description = node["description"].as<std::string>();
      if (node["paths"]) {
        for (const auto& path : node["paths"])
          scope.path_prefixes.push_back(path.as<std::string>());
      }
      scopes.push_back(std::move(scope));
    }
  } catch (const YAML::Exception& e) {
    // scopes.yml is compiled in and covered by tests; a broken catalog must
    // never degrade into "no scope is known" or "every scope is known".
    std::fprintf(stderr, "vitrine: the built-in scope catalog is malformed: %s\n", e.what());
    std::terminate();
  }
  return scopes;
}

}  // namespace

const std::vector<Scope>& scope_catalog() {
  static const std::vector<Scope> catalog = load_catalog();
  return catalog;
}

const Scope* find_scope(std::string_view id) {
  for (const Scope& s : scope_catalog()) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

}  // namespace vitrine::manifest
