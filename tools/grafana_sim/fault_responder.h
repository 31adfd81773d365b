// Puts a Reply on the wire, or deliberately fails to: truncation, oversized
// bodies, slow drip and connection resets happen here.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <atomic>
#include <optional>

#include "faults.h"
#include "http_util.h"

namespace vitrine::sim {

// `fault` may be a kTruncated, kOversized or kSlowDrip rule; others are ignored.
void write_reply(Poco::Net::HTTPServerResponse& response, const Reply& reply,
                 const std::optional<FaultRule>& fault, const std::atomic<bool>& stopping);

// Aborts the TCP connection with SO_LINGER 0 (an RST), sending nothing: no
// HTTP response and no TLS close_notify.
void reset_connection(Poco::Net::HTTPServerRequest& request);

// Sleeps up to `ms`, waking early on shutdown.
void interruptible_sleep(int ms, const std::atomic<bool>& stopping);

}  // namespace vitrine::sim
