// "Refresh all" and cache warming: every macro of a page rendered again,
// through the engine (so plugins, scopes, egress and the space's token
// rules apply as on a view), in bounded batches so one page cannot take
// every render thread or hit Grafana with hundreds of requests at once.
#pragma once

#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "render/engine.h"

namespace vitrine::render {

inline constexpr std::size_t kMaxRefreshBatch = 16;

struct RefreshFailure {
  std::size_t macro = 0;  // 1-based macro number on the page
  std::string key;
  std::string rule;   // the error's rule; "refresh-stale" when last good content was kept
  std::string error;  // what happened
};

struct RefreshReport {
  std::size_t refreshed = 0;
  std::vector<RefreshFailure> failed;  // in page order
  std::size_t batches = 0;
};

// One macro of the page and where it stands (1-based, as embeds count).
struct RefreshItem {
  std::size_t macro = 0;
  MacroCall call;
};

// Renders one macro; Engine::render_macro in the host.
using RenderOne = std::function<MacroOutcome(const MacroCall&)>;

// The page's macro calls (invalid blocks become failures with rule
// page-macro and run nothing), each with bypass_cache set.
std::vector<RefreshItem> refresh_calls(std::string_view markdown, const MacroCall& defaults,
                                       const std::set<std::string>& macro_keys,
                                       std::vector<RefreshFailure>& invalid);

// Renders `calls` in batches of at most `batch` (clamped to
// 1..kMaxRefreshBatch) running concurrently; the next batch starts when the
// previous one has finished. A macro counts as refreshed only when the
// engine answered with fresh content: an error, or last good content kept
// because the render failed (stale), is a failure.
// `invalid` (from refresh_calls) is merged into the report in page order.
RefreshReport refresh_in_batches(const std::vector<RefreshItem>& items, std::size_t batch,
                                 const RenderOne& render, std::vector<RefreshFailure> invalid = {});

}  // namespace vitrine::render
