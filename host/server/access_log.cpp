#include "server/access_log.h"

#include <cstdio>

#include "log/log.h"

namespace vitrine::server {

void record_request(metrics::Registry& registry, const Request& request, int status,
                    double seconds) {
  // Route templates, not paths, as label values: bounded cardinality, and
  // no space key or asset id in the metrics.
  const std::string route = request.route.empty() ? "unmatched" : request.route;
  const std::string code = std::to_string(status);
  const metrics::Labels labels{{"method", request.method}, {"route", route}, {"status", code}};
  registry
      .counter("vitrine_http_requests_total", "HTTP requests by method, route and status", labels)
      .inc();
  registry
      .histogram("vitrine_http_request_duration_seconds",
                 "HTTP request latency by method, route and status", labels)
      .observe(seconds);
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.1f", seconds * 1000.0);
  log::info("http.request", {{"method", request.method},
                             {"path", request.path},
                             {"route", route},
                             {"status", code},
                             {"ms", ms}});
}

}  // namespace vitrine::server
