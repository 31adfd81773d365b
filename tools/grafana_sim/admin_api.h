// The admin API: plain HTTP on a loopback port, separate from the fake
// Grafana, so fault injection and counters can never be reached through the
// surface under test.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <string>

#include "faults.h"
#include "http_util.h"
#include "sim_context.h"

namespace vitrine::sim {

class AdminRequestFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit AdminRequestFactory(SimContext& ctx) : ctx_(ctx) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override;

 private:
  SimContext& ctx_;
};

// Parses {"mode":..., "latency_ms":..., "paths":"a,b" | [..], "rate":...,
// "seed":..., "status":..., "drip_ms":..., "size_bytes":...}.
// Throws std::invalid_argument with a message naming the bad field.
FaultRule fault_rule_from_json(const std::string& body);

// Handles one admin request without I/O (unit-testable).
Reply admin_dispatch(SimContext& ctx, const std::string& method, const std::string& path,
                     const std::string& body);

}  // namespace vitrine::sim
