// State shared by the HTTPS front, the admin API and the process owner.
#pragma once

#include <atomic>

#include "auth.h"
#include "counters.h"
#include "faults.h"
#include "fixtures.h"

namespace vitrine::sim {

struct SimContext {
  Fixtures fixtures;
  TokenStore tokens;
  FaultPlan faults;
  Counters counters;
  // Set on shutdown so latency sleeps and slow drips end promptly.
  std::atomic<bool> stopping{false};
};

}  // namespace vitrine::sim
