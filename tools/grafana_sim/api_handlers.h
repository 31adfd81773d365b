// One function per Grafana endpoint. Each is pure: request + fixtures in, a
// Reply out. Authentication and faults are the router's business.
#pragma once

#include <string>

#include "fixtures.h"
#include "http_util.h"

namespace vitrine::sim {

// api_health.cpp
Reply handle_health(const ApiRequest& req, const Fixtures& fx);

// api_dashboards.cpp
Reply handle_search(const ApiRequest& req, const Fixtures& fx);
Reply handle_dashboard_by_uid(const ApiRequest& req, const Fixtures& fx, const std::string& uid);
Reply handle_folders(const ApiRequest& req, const Fixtures& fx);

// api_annotations.cpp
Reply handle_annotations(const ApiRequest& req, const Fixtures& fx);

// api_alerting.cpp
Reply handle_prometheus_rules(const ApiRequest& req, const Fixtures& fx);
Reply handle_prometheus_alerts(const ApiRequest& req, const Fixtures& fx);
Reply handle_alertmanager_alerts(const ApiRequest& req, const Fixtures& fx);

// api_render.cpp
struct RenderTarget {
  bool solo = true;  // /render/d-solo vs /render/d
  std::string uid;
  std::string slug;
};
inline constexpr int kMaxRenderDimension = 4000;
Reply handle_render(const ApiRequest& req, const Fixtures& fx, const RenderTarget& target);
Reply renderer_missing_placeholder();

}  // namespace vitrine::sim
