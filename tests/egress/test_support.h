// Manifests and a scope catalog built directly in C++, so the egress tests
// do not depend on the manifest parser.
#pragma once

#include <string>
#include <vector>

#include "egress/policy.h"
#include "manifest/manifest.h"
#include "manifest/scope_catalog.h"

namespace vitrine::egress::testing {

inline manifest::EgressEntry entry(const std::string& text, bool customer_managed = false) {
  // text is "https://host[:port]" or "https://*.suffix[:port]".
  manifest::EgressEntry e;
  e.text = text;
  std::string rest = text.substr(std::string("https://").size());
  if (rest.rfind("*.", 0) == 0) {
    e.wildcard = true;
    rest = rest.substr(2);
  }
  const auto colon = rest.find(':');
  if (colon != std::string::npos) {
    e.port = static_cast<uint16_t>(std::stoi(rest.substr(colon + 1)));
    rest = rest.substr(0, colon);
  }
  e.host = rest;
  e.customer_managed = customer_managed;
  return e;
}

inline manifest::Manifest plugin(const std::string& id, std::vector<manifest::EgressEntry> egress,
                                 std::vector<std::string> scopes) {
  manifest::Manifest m;
  m.id = id;
  m.version = "1.0.0";
  m.abi = {1, 0};
  m.library = id + ".so";
  m.egress = std::move(egress);
  m.scopes = std::move(scopes);
  return m;
}

// A fixed catalog so the tests pin exact prefixes; the P3 tests also run
// against the real compiled-in catalog.
inline const std::vector<manifest::Scope>& test_catalog() {
  static const std::vector<manifest::Scope> catalog = {
      {"grafana:read:dashboards", "", {"/api/search", "/api/dashboards/uid", "/api/folders"}},
      {"grafana:read:alerts",
       "",
       {"/api/prometheus/grafana/api/v1/rules", "/api/prometheus/grafana/api/v1/alerts",
        "/api/alertmanager/grafana/api/v2/alerts"}},
      {"grafana:read:annotations", "", {"/api/annotations"}},
      {"grafana:render", "", {"/render/d-solo", "/render/d"}},
      {"storage:cache", "", {}},
  };
  return catalog;
}

}  // namespace vitrine::egress::testing
