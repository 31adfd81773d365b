// Upstream single-flight across hosts sharing one database (rule UF-5 of
// egress/client/single_flight.h; docs/security/egress-network.md).
//
// Render leases (store/render_lease.h) coalesce one macro; two different
// macros that fetch the same upstream resource (a dashboard card and a
// compact view of that dashboard) on two hosts would still send two
// requests. This coalesces the request itself: the first host to ask takes
// a short lease row per (space, request key hash), sends the request and
// writes the response into the same row, sealed with the store's keyring;
// the others poll the row (with backoff) and use the response when it
// appears before their deadline. A response received at most reuse_ms
// before a request began answers it too (single_flight.h UF-9), so two
// macros of a page rendered on two hosts one after the other share it;
// never one received before the request's from_ms (a refresh: when it
// began).
//
// Rules:
//   UF-5 one request per key across hosts: at most one lease holder per
//        (space, key hash) until the lease (render.lease_s) expires; the
//        hosts that asked while it was in flight use its response, and
//        so do those that ask within reuse_ms after it arrived and do not
//        want a newer one (UF-9).
//   UF-6 takeover: a lease whose holder left neither a response nor a
//        release (the host died) is taken over once it expired, so a dead
//        leader delays the others at most render.lease_s.
//   UF-7 sealed and short-lived: the response is encrypted like cache
//        entries (AAD: table upstream_flights, space, key hash), kept
//        render.lease_s after it arrived, then purged; bodies are bounded
//        by egress.max_body_bytes.
//   UF-8 fail soft: when the store cannot be asked, or no keyring seals,
//        the host sends the request itself (a duplicate request, never a
//        failed fetch).
// Why rows and not advisory locks: the reasons of store/render_lease.h
// (no pinned pooled connection, expiry frees a dead holder, SQLite too).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "egress/shared_flights.h"
#include "store/context.h"

namespace vitrine::store {

struct UpstreamFlightOptions {
  int64_t lease_ms = 5000;    // render.lease_s: the lease, and how long a response is kept
  int64_t max_poll_ms = 50;   // the backoff's ceiling while waiting
  int64_t first_poll_ms = 5;  // the backoff's start
  int64_t reuse_ms = 5000;    // UF-9: how old a response may be to answer a new request;
                              // at most lease_ms (a response is kept no longer)
};

class UpstreamFlights final : public egress::SharedFlights {
 public:
  // `holder` names this host in the table (host name, pid and a random
  // suffix when empty), so two instances in one process are two hosts.
  UpstreamFlights(Context ctx, UpstreamFlightOptions options, std::string holder = {});

  // egress::SharedFlights. [thread-safe]
  Claim claim(std::string_view space, std::string_view key_hash,
              std::chrono::steady_clock::time_point deadline, int64_t from_ms) override;
  void publish(std::string_view space, std::string_view key_hash,
               std::string_view payload) override;
  void abandon(std::string_view space, std::string_view key_hash) override;

  const std::string& holder() const { return holder_; }

 private:
  void warn(const char* event, std::string_view space, const std::string& error);

  Context ctx_;
  UpstreamFlightOptions opt_;
  std::string holder_;
  std::atomic<int64_t> last_purge_ms_{0};
};

}  // namespace vitrine::store
