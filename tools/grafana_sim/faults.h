// Fault rules: what can go wrong with the fake Grafana, and when.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace vitrine::sim {

enum class FaultMode {
  kLatency,          // sleep latency_ms, then answer normally
  kError,            // 5xx HTML error page (status, default 500); `rate` makes it error-rate
  kTruncated,        // the real JSON cut in half, Content-Length matching the cut body
  kOversized,        // size_bytes of JSON-ish body, streamed
  kSlowDrip,         // the real body, one byte every drip_ms
  kReset,            // TCP reset without any response
  kRendererMissing,  // /render only: 200 with the "renderer not installed" placeholder PNG
  kRenderTooMany,    // /render only: 429 "Too many rendering requests"
  kRenderError,      // /render only: 500 HTML "Rendering failed."
};

struct FaultRule {
  FaultMode mode = FaultMode::kLatency;
  std::vector<std::string> paths;  // path prefixes; empty = every path
  double rate = 1.0;               // probability per matching request
  std::uint64_t seed = 1;          // makes `rate` deterministic
  int latency_ms = 0;
  int status = 500;
  int drip_ms = 50;
  std::uint64_t size_bytes = 64ULL * 1024 * 1024;
};

// What to do for one request: total added latency plus at most one
// response-altering fault (the first matching non-latency rule that fires).
struct FaultDecision {
  int latency_ms = 0;
  std::optional<FaultRule> action;
};

std::string fault_mode_name(FaultMode mode);
// Accepts the documented names; "error-rate" is kError with rate 0.5 unless
// the caller sets one. Throws std::invalid_argument with the valid names.
FaultMode parse_fault_mode(const std::string& name, bool* is_error_rate = nullptr);

class FaultPlan {
 public:
  void add(FaultRule rule);
  void replace(std::vector<FaultRule> rules);
  void clear();
  std::vector<FaultRule> rules() const;
  FaultDecision decide(const std::string& path);

 private:
  struct Entry {
    FaultRule rule;
    std::mt19937_64 rng;
  };
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

bool is_render_path(const std::string& path);

}  // namespace vitrine::sim
