// The cases a validation run renders, generated from the plugin's manifest
// alone: every macro with its defaults, each parameter at its boundaries,
// invalid values the host must refuse before the plugin runs, and the
// defaults again under each fault the Grafana simulator can inject.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "manifest/manifest.h"

namespace vitrine::validate {

enum class CaseKind {
  defaults,  // required parameters only, against a healthy Grafana
  boundary,  // one parameter at an edge the manifest allows
  invalid,   // one parameter the host's validation must refuse (plugin not called)
  fault,     // defaults while the simulator injects a fault
};

const char* to_string(CaseKind kind);

// One fault of the simulator's matrix, as its admin API takes it
// (docs/simulator.md "Faults").
struct Fault {
  std::string name;  // e.g. "503", "reset", "slow"
  std::string mode;  // simulator fault mode
  int status = 0;    // for mode "error"
  int latency_ms = 0;
  uint64_t size_bytes = 0;  // for mode "oversized"
};

struct Case {
  std::string macro;
  std::string name;  // e.g. "max_panels=200 (max)", "fault 503"
  CaseKind kind = CaseKind::defaults;
  std::map<std::string, std::string> params;
  Fault fault;  // kind == fault only
};

// The simulator's fault matrix for a run whose renders have `deadline_ms`:
// slow beyond the deadline, 500/502/503, 401/403/404, connection reset,
// truncated body (invalid JSON), oversized body.
std::vector<Fault> fault_matrix(int64_t deadline_ms);

// Every case for every macro of `m`, faults last. A generated value is
// classified by the host's own parameter binding (plugins::bind_params): a
// value it refuses is an invalid case whatever it was meant to probe, so the
// expectation always matches what the host does.
std::vector<Case> generate_cases(const manifest::Manifest& m, int64_t deadline_ms);

}  // namespace vitrine::validate
