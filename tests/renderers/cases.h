// One representative invocation per macro, shared by the fault and
// robustness suites so that every macro meets every fault.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace vitrine::test {

struct MacroCase {
  std::string plugin;
  std::string macro;
  std::map<std::string, std::string> params;
  std::string fixture;  // the fixture file (under FIXTURES_DIR) the macro reads
  std::string path;     // the API path that serves it
};

inline std::vector<MacroCase> macro_cases() {
  return {
      {"dashboard",
       "dashboard",
       {{"dashboard", "svc-checkout"}},
       "dashboards/svc-checkout.json",
       "/api/dashboards/uid/svc-checkout"},
      {"dashboard",
       "dashboard",
       {{"dashboard", "legacy-rows"}, {"variant", "compact"}},
       "dashboards/legacy-rows.json",
       "/api/dashboards/uid/legacy-rows"},
#ifdef VITRINE_FAKE_HOST_SEARCH
      // One search (answered by the simulator), then the dashboard the
      // fixture and path name: the fault and shape cases hit both requests.
      {"dashboard",
       "dashboard-library",
       {{"query", "checkout"}},
       "dashboards/svc-checkout.json",
       "/api/dashboards/uid/svc-checkout"},
#endif
      {"alert_list",
       "alert-list",
       {{"states", "firing,pending,recovering,normal,nodata,error"}},
       "rules.json",
       "/api/prometheus/grafana/api/v1/rules"},
      {"alert_list", "alert-badge", {}, "rules.json", "/api/prometheus/grafana/api/v1/rules"},
      {"annotation_timeline",
       "annotation-timeline",
       {{"from", "2019-01-01T00:00:00Z"}},
       "annotations.json",
       "/api/annotations"},
      {"panel_image",
       "panel-image",
       {{"dashboard_uid", "svc-checkout"}, {"panel_id", "2"}},
       "",
       ""},
  };
}

}  // namespace vitrine::test
