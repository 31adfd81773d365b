// Cluster-wide single-flight of upstream requests: the seam between the
// fetcher (egress/client/single_flight.h), which knows requests, and the
// store (store/upstream_flights.h), which hosts sharing one database use to
// agree on who sends a request and to hand its response to the others.
//
// The fetcher calls this only for a request the egress policy has already
// allowed for the asking plugin and space (decide() and pin() ran, the
// credential is chosen), so a response handed over here only ever reaches
// a request the policy allowed by itself. Keys are opaque hashes that
// include the space, the method, the URL, every header the host sends and
// which credential it attaches; the response is opaque bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace vitrine::egress {

class SharedFlights {
 public:
  virtual ~SharedFlights() = default;

  enum class Kind {
    lead,       // this host sends the request, then publish() or abandon()
    shared,     // another host's response for the key: `payload`
    timed_out,  // the deadline passed while another host held the request
  };
  struct Claim {
    Kind kind = Kind::lead;
    std::string payload;  // Kind::shared only
  };

  // Takes the request's lease, or waits (until `deadline`) for the response
  // of the host that holds it, taking the lease over if that host's lease
  // expires first. A response another host received within the reuse
  // window before this call, and after `from_ms` (unix ms; 0: no bound),
  // answers it at once (single_flight.h UF-9). Any failure to ask
  // answers `lead`: a duplicate request, never a failed fetch. Never
  // throws. [thread-safe]
  virtual Claim claim(std::string_view space, std::string_view key_hash,
                      std::chrono::steady_clock::time_point deadline, int64_t from_ms) = 0;
  // The leader's response, for the hosts that asked while it was in flight;
  // drops the lease. Never throws. [thread-safe]
  virtual void publish(std::string_view space, std::string_view key_hash,
                       std::string_view payload) = 0;
  // The leader has no response to share (its own deadline cut the request
  // short): drops the lease so a waiting host takes over at once. Never
  // throws. [thread-safe]
  virtual void abandon(std::string_view space, std::string_view key_hash) = 0;
};

}  // namespace vitrine::egress
