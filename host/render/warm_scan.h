// "Which pages use this dashboard": a scan of a space's page files for
// macro blocks that name a dashboard uid. Pure text work (the page parser),
// no plugin runs and no request leaves the host, so it answers while
// Grafana is down.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace vitrine::render {

struct DashboardUse {
  std::string page;   // page name (file NAME.md)
  std::size_t macro;  // 1-based macro number on the page (as embeds count)
  std::string key;    // macro key
  std::string param;  // the parameter that names the uid
  int line = 0;       // page line of the opening fence
};

// The uid a parameter value names: the value itself, or the uid of a
// Grafana dashboard URL (/d/UID/... or /d-solo/UID/...) pasted into it.
std::string dashboard_uid_of(std::string_view value);

// Parameters that take a dashboard uid in every bundled macro kind:
// `dashboard` (dashboard), `dashboard_uid` (panel-image, annotation
// timeline) and `uid`.
bool names_dashboard(std::string_view param);

// The macros of one page's Markdown that name `uid` (callers check it
// with is_dashboard_uid first).
std::vector<DashboardUse> dashboard_uses(std::string_view page, std::string_view markdown,
                                         std::string_view uid,
                                         const std::set<std::string>& macro_keys);

// Every page NAME.md directly in `dir` (names [a-z0-9-]{1,64}), sorted by
// page then macro. Files that cannot be read are skipped.
std::vector<DashboardUse> scan_space_pages(const std::filesystem::path& dir, std::string_view uid,
                                           const std::set<std::string>& macro_keys);

// Grafana's uid alphabet: [A-Za-z0-9_-]{1,40}.
bool is_dashboard_uid(std::string_view uid);

}  // namespace vitrine::render
