#include "render/warm_batch.h"

#include <algorithm>
#include <chrono>
#include <future>

#include "render/page.h"

namespace vitrine::render {
namespace rules {
// Rule ids of "refresh all" failures (docs/freshness.md).
inline constexpr const char* kRefreshStale = "refresh-stale";  // render failed, last good kept
inline constexpr const char* kPageMacro = "page-macro";        // the macro block itself is invalid
inline constexpr const char* kRefreshFailed = "refresh-failed";  // error without a rule of its own
}  // namespace rules

std::vector<RefreshItem> refresh_calls(std::string_view markdown, const MacroCall& defaults,
                                       const std::set<std::string>& macro_keys,
                                       std::vector<RefreshFailure>& invalid) {
  std::vector<RefreshItem> calls;
  const auto parsed = parse_page(markdown, macro_keys);
  // When the refresh began: an upstream response received after it is
  // fresh enough for every macro of it, so two macros of one dashboard in
  // different batches still make one request (single_flight.h UF-9).
  const int64_t began_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  for (const auto& m : parsed.macros) {
    if (m.error) {
      invalid.push_back({m.index + 1, m.key, rules::kPageMacro, m.error->text()});
      continue;
    }
    MacroCall c = defaults;
    c.macro_key = m.key;
    c.params = m.params;
    c.bypass_cache = true;
    c.upstream_from_ms = began_ms;
    calls.push_back({m.index + 1, std::move(c)});
  }
  return calls;
}

RefreshReport refresh_in_batches(const std::vector<RefreshItem>& calls, std::size_t batch,
                                 const RenderOne& render, std::vector<RefreshFailure> invalid) {
  RefreshReport report;
  report.failed = std::move(invalid);
  batch = std::clamp<std::size_t>(batch, 1, kMaxRefreshBatch);
  std::vector<MacroOutcome> outcomes(calls.size());
  for (std::size_t start = 0; start < calls.size(); start += batch) {
    const std::size_t end = std::min(calls.size(), start + batch);
    std::vector<std::future<MacroOutcome>> running;
    running.reserve(end - start);
    for (std::size_t i = start; i < end; ++i) {
      running.push_back(
          std::async(std::launch::async, [&render, &calls, i] { return render(calls[i].call); }));
    }
    for (std::size_t i = start; i < end; ++i) outcomes[i] = running[i - start].get();
    ++report.batches;
  }
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const auto& o = outcomes[i];
    if (o.state == MacroState::fresh) {
      ++report.refreshed;
    } else if (o.state == MacroState::error) {
      // A plugin's error may carry no rule id; the report always names one.
      report.failed.push_back({calls[i].macro, calls[i].call.macro_key,
                               o.rule.empty() ? rules::kRefreshFailed : o.rule, o.error});
    } else {
      report.failed.push_back({calls[i].macro, calls[i].call.macro_key, rules::kRefreshStale,
                               "the render did not succeed; the last good content is still shown"});
    }
  }
  std::stable_sort(
      report.failed.begin(), report.failed.end(),
      [](const RefreshFailure& a, const RefreshFailure& b) { return a.macro < b.macro; });
  return report;
}

}  // namespace vitrine::render
