// One structured log line and the request metrics per request. The line has
// the method, the raw path (never the query string: it may carry values a
// user typed), the route template, status and duration; never headers, so
// Authorization and cookies cannot reach the log.
#pragma once

#include "metrics/metrics.h"
#include "server/http.h"

namespace vitrine::server {

void record_request(metrics::Registry& registry, const Request& request, int status,
                    double seconds);

}  // namespace vitrine::server
