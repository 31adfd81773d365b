// Per-client fairness: how many connections each client address holds
// open, and a token bucket of requests per client (server.
// max_connections_per_client, server.requests_per_second_per_client,
// server.request_burst_per_client). One client cannot take the capacity
// of everyone else.
//
// Memory is bounded: a client is remembered only while it has a connection
// open or its bucket is not full again (a full bucket is what a new client
// gets, so forgetting it loses nothing); sweep() forgets the others, and at
// most max_entries clients are tracked (beyond, a new address is let through
// untracked rather than refused: the table must not become a way to lock
// out clients that never misbehaved). [thread-safe]
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <unordered_map>

#include "server/net/ip_address.h"

namespace vitrine::server::net {

struct ClientLimitOptions {
  int max_connections_per_client = 64;  // 0: no limit
  double requests_per_second = 0;       // 0: no rate limit
  double burst = 0;                     // bucket size; below 1: the rate (at least 1)
  std::size_t max_entries = 65536;
};

class ClientTable {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Admission { counted, untracked, refused };

  explicit ClientTable(ClientLimitOptions options);

  bool rate_limited() const { return options_.requests_per_second > 0; }
  // A new connection from `client`. counted: close() it later; refused: it
  // is at its limit (nothing counted).
  Admission open(const IpAddress& client, Clock::time_point now);
  void close(const IpAddress& client);
  // One request from `client`: 0 when allowed, else the whole seconds
  // until a token is back (for Retry-After; at least 1).
  int take(const IpAddress& client, Clock::time_point now);
  // Forgets clients with no open connection and a full bucket.
  void sweep(Clock::time_point now);
  std::size_t size() const;

 private:
  struct Entry {
    int connections = 0;
    double tokens = 0;
    Clock::time_point refilled;
  };
  Entry* find_or_add(const IpAddress& client, Clock::time_point now);  // [mu_]
  void refill(Entry& e, Clock::time_point now) const;
  bool idle(const Entry& e, Clock::time_point now) const;

  const ClientLimitOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<IpAddress, Entry, IpAddressHash> clients_;
};

}  // namespace vitrine::server::net
