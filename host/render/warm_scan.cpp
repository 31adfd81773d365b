#include "render/warm_scan.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "render/page.h"

namespace vitrine::render {
namespace {

bool page_name_ok(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

bool is_dashboard_uid(std::string_view uid) {
  if (uid.empty() || uid.size() > 40) return false;
  return std::all_of(uid.begin(), uid.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string dashboard_uid_of(std::string_view value) {
  // A pasted URL: the path segment after /d/ or /d-solo/ is the uid.
  for (std::string_view marker : {std::string_view("/d-solo/"), std::string_view("/d/")}) {
    const auto at = value.find(marker);
    if (at == std::string_view::npos) continue;
    auto rest = value.substr(at + marker.size());
    return std::string(rest.substr(0, rest.find_first_of("/?#")));
  }
  return std::string(value);
}

bool names_dashboard(std::string_view param) {
  return param == "dashboard" || param == "dashboard_uid" || param == "uid";
}

std::vector<DashboardUse> dashboard_uses(std::string_view page, std::string_view markdown,
                                         std::string_view uid,
                                         const std::set<std::string>& macro_keys) {
  std::vector<DashboardUse> out;
  const auto parsed = parse_page(markdown, macro_keys);
  for (const auto& m : parsed.macros) {
    // An invalid block names nothing: it never runs.
    if (m.error) continue;
    for (const auto& [name, value] : m.params) {
      if (names_dashboard(name) && dashboard_uid_of(value) == uid) {
        out.push_back({std::string(page), m.index + 1, m.key, name, m.line});
        break;
      }
    }
  }
  return out;
}

std::vector<DashboardUse> scan_space_pages(const std::filesystem::path& dir, std::string_view uid,
                                           const std::set<std::string>& macro_keys) {
  std::vector<DashboardUse> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto& p = it->path();
    if (p.extension() != ".md" || !page_name_ok(p.stem().string())) continue;
    if (!it->is_regular_file(ec)) continue;
    std::ifstream in(p, std::ios::binary);
    if (!in) continue;
    std::ostringstream text;
    text << in.rdbuf();
    auto found = dashboard_uses(p.stem().string(), text.str(), uid, macro_keys);
    out.insert(out.end(), found.begin(), found.end());
  }
  std::sort(out.begin(), out.end(), [](const DashboardUse& a, const DashboardUse& b) {
    return a.page != b.page ? a.page < b.page : a.macro < b.macro;
  });
  return out;
}

}  // namespace vitrine::render
