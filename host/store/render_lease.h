// Render leases: cluster-wide single-flight for cold cache entries.
//
// Hosts that share one database share the render cache. When several of
// them see the same cold (missing or expired) entry at once, each would ask
// Grafana for it. Before rendering, a host claims a short lease on the cache
// entry in the store; the host that gets it renders and fills the cache,
// the others re-read the cache row until it is filled and use it.
//
// Why a lease row (table render_leases: holder + expiry, taken with one
// INSERT ... ON CONFLICT DO UPDATE ... WHERE expired) and not PostgreSQL
// advisory locks: an advisory lock belongs to a database session, so the
// holder would pin one pooled connection for the whole render (seconds,
// one per distinct cold macro) and a hung host with a live connection
// would block the others forever; a row with an expiry frees itself after
// `lease_ms` whoever died, works the same on SQLite (one statement, no
// session state), and can be inspected with a SELECT.
//
// Rules:
//   RL-1 one renderer: at most one holder per (space, plugin, key) until
//        the lease expires.
//   RL-2 takeover: a lease whose holder did not release it (the host died)
//        is taken over once it expired, never before.
//   RL-3 release on every outcome: the holder releases when its render
//        ends, filled or failed, so a failure does not make the others wait
//        out the lease.
//   RL-4 bounded wait: a waiter gives up at its deadline (the macro
//        deadline of the view that asked).
//   RL-5 fail soft: when the store cannot be asked, the host renders
//        without a lease (a duplicate request, never a failed page).
// A render that runs longer than the lease may be repeated by a waiter
// that takes the lease over; lease_ms should cover a normal render.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "store/context.h"

namespace vitrine::store {

struct RenderLeaseOptions {
  int64_t lease_ms = 5000;  // render.lease_s
  int64_t poll_ms = 50;     // how often a waiter re-reads the cache row
};

class RenderLeases {
 public:
  // `holder` names this host in the table (host name, pid and a random
  // suffix when empty), so two instances in one process are two hosts.
  RenderLeases(Context ctx, RenderLeaseOptions options, std::string holder = {});

  enum class Claim {
    render,     // this host holds the lease (or could not ask): render, then release()
    filled,     // another host filled the entry while this one waited: use it
    timed_out,  // the deadline passed while another host held the lease
  };

  // Takes the lease, or waits for `filled()` (re-reads the cache row; true
  // when another host's render landed) until the deadline, taking the lease
  // over if it expires meanwhile. [thread-safe]
  Claim claim(const std::string& space, const std::string& plugin_id, std::string_view key,
              std::chrono::steady_clock::time_point deadline, const std::function<bool()>& filled);
  // RL-3: drops this host's lease (a lease taken over is left alone).
  void release(const std::string& space, const std::string& plugin_id, std::string_view key);

  const std::string& holder() const { return holder_; }

 private:
  Context ctx_;
  RenderLeaseOptions opt_;
  std::string holder_;
};

}  // namespace vitrine::store
