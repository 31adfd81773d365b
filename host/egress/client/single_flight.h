// Single-flight of upstream requests (docs/security/egress-network.md,
// "Upstream single-flight"). Concurrent cold views of pages whose macros
// fetch the same upstream resource (a dashboard card and a compact view of
// the same dashboard, the same alert rules on two pages, the same page on
// several hosts) make one upstream request per distinct request.
//
// The fetcher runs it at the exchange of each hop, after decide(), pin()
// and the choice of credential, so the egress policy has allowed every
// request that waits here before it waits (UF-1): a response is only ever
// handed to a request the policy allowed on its own, and each waiter still
// writes its own audit record and follows redirects through every rule
// itself.
//
// Rules:
//   UF-1 policy first: only a request the policy allowed for its plugin and
//        space reaches the single-flight; a refused one never sees a
//        response.
//   UF-2 one key per request: the space, the method, the canonical URL,
//        the port connected to, every plugin header in order and which
//        credential the host attaches (a SHA-256 of the token, or none).
//        Requests of two spaces or with two credentials never share.
//   UF-3 one request per key in a process: the first request in flight
//        sends it; the others wait and get its result (status, content
//        type, location, body), errors included.
//   UF-4 own deadline: a waiter stops at its own deadline; a waiter whose
//        deadline is later than that of a leader its deadline cut short
//        does not inherit that timeout, it sends (or joins) a new request.
//   UF-5 one request per key across hosts sharing a database
//        (egress/shared_flights.h, store/upstream_flights.h).
//   UF-9 a page's macros share a response just received: a response
//        received at most the reuse window (render.lease_s) before a
//        request began answers it too, so two macros of one page that
//        fetch one resource make one request even when the second starts
//        after the first finished. Never one older than the request's
//        `from_ms`: a refresh ("Refresh all", scheduled warming,
//        development mode) sets when it began, so it asks upstream; a
//        background refresh of stale content sets that content's as-of
//        time. A timeout is never reused; responses kept for reuse are
//        bounded in bytes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/client/tls_client.h"
#include "egress/policy.h"
#include "egress/shared_flights.h"

namespace vitrine::egress::client {

// UF-2: the request part of the key (the space is passed beside it).
// `bearer_token` is the token the host attaches, or nullptr; only its
// SHA-256 enters the key.
std::string flight_key(std::string_view method, std::string_view canonical_url,
                       uint16_t connect_port, const std::vector<Header>& headers,
                       const std::string* bearer_token);

// The exchange result handed between hosts: outcome, rule, reason, status,
// the content-type and location headers (the only response headers the
// fetcher reads) and the body.
std::string encode_exchange(const ExchangeResult& r);
std::optional<ExchangeResult> decode_exchange(std::string_view bytes);

class SingleFlight {
 public:
  // `cluster` (nullable) must outlive this object. `on_shared` (may be
  // empty) is called for each request answered by another's response.
  // `reuse_window` (UF-9): how long before a request began a response may
  // have been received to answer it; zero: only responses in flight.
  explicit SingleFlight(SharedFlights* cluster, std::function<void(bool from_store)> on_shared = {},
                        std::chrono::milliseconds reuse_window = std::chrono::milliseconds{0})
      : cluster_(cluster), on_shared_(std::move(on_shared)), reuse_window_(reuse_window) {}

  using Exchange = std::function<ExchangeResult()>;
  // Runs `exchange` for the first request of (space, key) in flight, or
  // waits for it until `deadline` (UF-3, UF-4, UF-5), or answers with a
  // response received within the reuse window and after `from_ms` (unix
  // ms; 0: no bound) (UF-9). Never throws. [thread-safe]
  ExchangeResult run(const std::string& space, const std::string& key, Clock::time_point deadline,
                     int64_t from_ms, const Exchange& exchange);

  // The most bytes of response bodies kept for reuse (UF-9); the oldest go
  // first.
  static constexpr std::size_t kMaxRecentBytes = 32u << 20;

  // Requests waiting for another's result right now. [thread-safe]
  std::size_t waiting() const;
  // Requests answered by another request's result so far (in this process
  // or from another host). [thread-safe]
  uint64_t shared_in_process() const;
  uint64_t shared_from_store() const;

 private:
  struct Flight {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Clock::time_point deadline;  // the leader's
    ExchangeResult result;
  };
  // A finished request's result, kept for the reuse window (UF-9).
  struct Recent {
    int64_t received_ms;  // unix ms, the clock from_ms is given in
    std::shared_ptr<const ExchangeResult> result;
  };
  ExchangeResult lead(const std::string& space, const std::string& key, Clock::time_point deadline,
                      int64_t from_ms, const Exchange& exchange, bool& sent_here);
  // Under mu_.
  void keep_recent(const std::string& map_key, const ExchangeResult& result, int64_t now_ms);

  SharedFlights* cluster_;
  std::function<void(bool)> on_shared_;
  std::chrono::milliseconds reuse_window_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;
  std::map<std::string, Recent> recent_;
  std::size_t recent_bytes_ = 0;
  std::size_t waiting_ = 0;
  uint64_t shared_in_process_ = 0;
  uint64_t shared_from_store_ = 0;
};

}  // namespace vitrine::egress::client
