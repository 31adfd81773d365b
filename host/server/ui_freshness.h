// Freshness operations the page UI (ui_freshness.cpp) and the JSON API
// (api_freshness.cpp) share: refresh a page's macros, pin a macro as
// evidence, find the pages that use a dashboard (docs/freshness.md).
// Callers authorize first; these audit what they change.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "render/warm_batch.h"
#include "render/warm_evidence.h"
#include "render/warm_scan.h"
#include "server/context.h"

namespace vitrine::server {

// Macros rendered at the same time by one "refresh all".
inline constexpr std::size_t kRefreshBatch = 4;

// The page's Markdown; nullptr when there is no such page.
std::shared_ptr<const std::string> read_page(ServerContext& ctx, const std::string& space,
                                             const std::string& page);

// Every macro of the page rendered again past the caches, in batches of
// kRefreshBatch. nullopt when the page does not exist.
std::optional<render::RefreshReport> refresh_page(ServerContext& ctx, const std::string& space,
                                                  const std::string& page, const std::string& who);

// Macro `macro` (1-based) of the page as it renders now, frozen. On
// failure nullopt; `status` (404 or 422) and `error` say why.
std::optional<render::EvidenceRecord> pin_evidence(ServerContext& ctx, const std::string& space,
                                                   const std::string& page, std::size_t macro,
                                                   const std::string& who, int& status,
                                                   std::string& error);

// <data_dir>/evidence.
render::EvidenceStore evidence_store(const ServerContext& ctx);

std::vector<render::DashboardUse> dashboard_uses(ServerContext& ctx, const std::string& space,
                                                 const std::string& uid);

}  // namespace vitrine::server
