#include "faults.h"

#include <stdexcept>

namespace vitrine::sim {
namespace {

bool matches(const FaultRule& rule, const std::string& path) {
  if (rule.paths.empty()) return true;
  for (const auto& prefix : rule.paths) {
    if (path.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

bool render_only(FaultMode mode) {
  return mode == FaultMode::kRendererMissing || mode == FaultMode::kRenderTooMany ||
         mode == FaultMode::kRenderError;
}

}  // namespace

bool is_render_path(const std::string& path) { return path.rfind("/render/", 0) == 0; }

std::string fault_mode_name(FaultMode mode) {
  switch (mode) {
    case FaultMode::kLatency:
      return "latency";
    case FaultMode::kError:
      return "error";
    case FaultMode::kTruncated:
      return "truncated";
    case FaultMode::kOversized:
      return "oversized";
    case FaultMode::kSlowDrip:
      return "slow-drip";
    case FaultMode::kReset:
      return "reset";
    case FaultMode::kRendererMissing:
      return "renderer-missing";
    case FaultMode::kRenderTooMany:
      return "render-429";
    case FaultMode::kRenderError:
      return "render-500";
  }
  return "unknown";
}

FaultMode parse_fault_mode(const std::string& name, bool* is_error_rate) {
  if (is_error_rate != nullptr) *is_error_rate = false;
  if (name == "latency") return FaultMode::kLatency;
  if (name == "error") return FaultMode::kError;
  if (name == "error-rate") {
    if (is_error_rate != nullptr) *is_error_rate = true;
    return FaultMode::kError;
  }
  if (name == "truncated" || name == "truncated-json") return FaultMode::kTruncated;
  if (name == "oversized") return FaultMode::kOversized;
  if (name == "slow-drip") return FaultMode::kSlowDrip;
  if (name == "reset" || name == "connection-reset") return FaultMode::kReset;
  if (name == "renderer-missing") return FaultMode::kRendererMissing;
  if (name == "render-429") return FaultMode::kRenderTooMany;
  if (name == "render-500") return FaultMode::kRenderError;
  throw std::invalid_argument(
      "unknown fault mode '" + name +
      "' (latency, error, error-rate, truncated, oversized, slow-drip, reset, renderer-missing, "
      "render-429, render-500)");
}

void FaultPlan::add(FaultRule rule) {
  std::lock_guard lock(mutex_);
  const auto seed = rule.seed;
  entries_.push_back(Entry{std::move(rule), std::mt19937_64(seed)});
}

void FaultPlan::replace(std::vector<FaultRule> rules) {
  std::lock_guard lock(mutex_);
  entries_.clear();
  for (auto& r : rules) {
    const auto seed = r.seed;
    entries_.push_back(Entry{std::move(r), std::mt19937_64(seed)});
  }
}

void FaultPlan::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

std::vector<FaultRule> FaultPlan::rules() const {
  std::lock_guard lock(mutex_);
  std::vector<FaultRule> out;
  for (const auto& e : entries_) out.push_back(e.rule);
  return out;
}

FaultDecision FaultPlan::decide(const std::string& path) {
  std::lock_guard lock(mutex_);
  FaultDecision decision;
  for (auto& e : entries_) {
    if (!matches(e.rule, path)) continue;
    if (render_only(e.rule.mode) && !is_render_path(path)) continue;
    // Draw for every matching rule, fired or not, so a seed yields the same
    // sequence regardless of which other rules exist.
    const double draw = std::uniform_real_distribution<double>(0.0, 1.0)(e.rng);
    if (draw >= e.rule.rate) continue;
    if (e.rule.mode == FaultMode::kLatency) {
      decision.latency_ms += e.rule.latency_ms;
    } else if (!decision.action) {
      decision.action = e.rule;
    }
  }
  return decision;
}

}  // namespace vitrine::sim
