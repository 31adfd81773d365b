// The HTTPS front: counts, injects faults, authenticates like Grafana and
// dispatches to the API handlers.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "http_util.h"
#include "sim_context.h"

namespace vitrine::sim {

class GrafanaRequestFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit GrafanaRequestFactory(SimContext& ctx) : ctx_(ctx) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override;

 private:
  SimContext& ctx_;
};

// Routing and auth without any I/O, so it can be unit-tested. `uri` is the
// request target (path and query); `authorization` the raw header if any.
// `render_fault` is applied to /render answers after authentication.
Reply dispatch(SimContext& ctx, const std::string& method, const std::string& uri,
               const std::optional<std::string>& authorization,
               const std::optional<FaultRule>& render_fault);

}  // namespace vitrine::sim
