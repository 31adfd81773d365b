// P3 Least privilege starts here: the scope catalog is closed and each scope
// opens exactly the documented Grafana API paths.
#include "manifest/scope_catalog.h"

#include <gtest/gtest.h>

#include <map>

using namespace vitrine::manifest;

namespace {

TEST(ScopeCatalog, P3_EachScopeOpensExactlyItsDocumentedPaths) {
  const std::map<std::string, std::vector<std::string>> expected = {
      {"grafana:read:dashboards", {"/api/search", "/api/dashboards/uid", "/api/folders"}},
      {"grafana:read:alerts",
       {"/api/prometheus/grafana/api/v1/rules", "/api/prometheus/grafana/api/v1/alerts",
        "/api/alertmanager/grafana/api/v2/alerts"}},
      {"grafana:read:annotations", {"/api/annotations"}},
      {"grafana:render", {"/render/d-solo", "/render/d"}},
      {"grafana:read:health", {"/api/health"}},
      {"storage:cache", {}},
      {"storage:assets", {}},
  };
  std::map<std::string, std::vector<std::string>> actual;
  for (const Scope& s : scope_catalog()) {
    EXPECT_FALSE(s.description.empty()) << s.id;
    EXPECT_TRUE(actual.emplace(s.id, s.path_prefixes).second) << "duplicate scope " << s.id;
  }
  EXPECT_EQ(actual, expected);
}

TEST(ScopeCatalog, P3_PathPrefixesAreCanonical) {
  for (const Scope& s : scope_catalog()) {
    for (const std::string& p : s.path_prefixes) {
      EXPECT_TRUE(p.starts_with("/")) << p;
      EXPECT_FALSE(p.ends_with("/")) << p;
      EXPECT_EQ(p.find_first_of("?#*%\\ "), std::string::npos) << p;
      EXPECT_EQ(p.find(".."), std::string::npos) << p;
    }
  }
}

TEST(ScopeCatalog, FindScope) {
  ASSERT_NE(find_scope("grafana:render"), nullptr);
  EXPECT_EQ(find_scope("grafana:render")->path_prefixes.size(), 2u);
  EXPECT_EQ(find_scope("grafana:write:dashboards"), nullptr);
  EXPECT_EQ(find_scope(""), nullptr);
  EXPECT_EQ(find_scope("GRAFANA:RENDER"), nullptr);
}

}  // namespace
