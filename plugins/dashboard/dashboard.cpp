// dashboard: a Grafana dashboard as a card (title, folder, tags, panel count,
// panels grouped by row, "Open in Grafana", as-of time) or as one compact
// line. One GET: /api/dashboards/uid/UID (scope grafana:read:dashboards).
//
// dashboard-library: the space's dashboards from Grafana's search, each with
// links to the dashboard and to each of its panels (the editor's picker shows
// it). One GET /api/search, then one /api/dashboards/uid/UID per dashboard
// shown: max_dashboards bounds that N+1 cost. Same scope, no other path.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "vitrine_plugin/entry.h"
#include "vitrine_plugin/html.h"
#include "vitrine_plugin/url.h"

namespace {

using namespace vitrine::pc;

// Dashboards change rarely; five minutes keeps pages fresh enough.
constexpr uint32_t kTtlS = 300;

struct PanelRow {
  bool is_row = false;
  std::optional<int64_t> id;  // Grafana's panel id (?viewPanel=ID); absent on some rows
  std::string title;
  std::string type;
  std::string repeat;  // the variable a panel or row repeats by
};

struct Model {
  std::vector<PanelRow> entries;  // rows and panels in display order
  size_t panel_count = 0;         // panels only, rows excluded
};

void add_panel(Model& m, const json::Obj& p) {
  if (!p) return;
  // Grafana copies repeated panels into the saved model with repeatPanelId;
  // they are runtime clones of the panel that declares `repeat`, not panels
  // an author placed, so they are neither counted nor listed.
  if (json::integer(p, "repeatPanelId")) return;
  PanelRow r;
  r.id = json::integer(p, "id");
  r.title = json::string(p, "title");
  r.type = json::string(p, "type");
  r.repeat = json::string(p, "repeat");
  ++m.panel_count;
  m.entries.push_back(std::move(r));
}

// Schema >= 16: a flat `panels` list where a panel of type "row" starts a
// row; a collapsed row keeps its children in its own `panels`.
void walk_panels(Model& m, const json::Arr& panels) {
  if (!panels) return;
  for (size_t i = 0; i < panels.size(); ++i) {
    const json::Obj p = json::as_object(panels.at(i));
    if (!p) continue;
    if (json::string(p, "type") == "row") {
      PanelRow r;
      r.is_row = true;
      r.title = json::string(p, "title");
      r.repeat = json::string(p, "repeat");
      if (json::integer(p, "repeatPanelId")) continue;  // a repeated copy of a row
      m.entries.push_back(std::move(r));
      const json::Arr children = json::array(p, "panels");
      if (children) {
        for (size_t k = 0; k < children.size(); ++k) {
          add_panel(m, json::as_object(children.at(k)));
        }
      }
      continue;
    }
    add_panel(m, p);
  }
}

// Schema < 16: `rows`, each with its own `panels`.
void walk_legacy_rows(Model& m, const json::Arr& rows) {
  if (!rows) return;
  for (size_t i = 0; i < rows.size(); ++i) {
    const json::Obj row = json::as_object(rows.at(i));
    if (!row) continue;
    PanelRow r;
    r.is_row = true;
    r.title = json::string(row, "title");
    r.repeat = json::string(row, "repeat");
    m.entries.push_back(std::move(r));
    const json::Arr children = json::array(row, "panels");
    if (!children) continue;
    for (size_t k = 0; k < children.size(); ++k) {
      add_panel(m, json::as_object(children.at(k)));
    }
  }
}

// Accepts a uid, or a dashboard URL pasted from the browser. A URL must be on
// the space's own Grafana: the plugin only ever fetches from the base URL, and
// a URL from another stack would silently show a different dashboard.
std::optional<std::string> resolve_uid(const std::string& input, const std::string& base_url,
                                       std::string& error) {
  if (input.find("://") == std::string::npos) {
    if (is_valid_uid(input)) return input;
    error =
        "'" + ellipsize(input, 80) +
        "' is not a dashboard uid (1-40 letters, digits, '-' or '_') or a Grafana dashboard URL";
    return std::nullopt;
  }
  const auto url = parse_origin(input);
  const auto base = parse_origin(base_url);
  if (!url || !base) {
    error = "the pasted dashboard URL is not a valid http(s) URL";
    return std::nullopt;
  }
  if (!same_origin(*url, *base)) {
    error = "the pasted dashboard URL points to " + url->scheme + "://" + url->host +
            ", not to this space's Grafana (" + base->scheme + "://" + base->host +
            "); paste a URL from " + base->host + " or give the dashboard uid";
    return std::nullopt;
  }
  // Grafana may be served under a sub-path (root_url); strip it first.
  std::string path = url->path;
  std::string prefix = base->path;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty() && path.rfind(prefix + "/", 0) == 0) path = path.substr(prefix.size());
  for (const char* marker : {"/d/", "/d-solo/"}) {
    if (path.rfind(marker, 0) == 0) {
      std::string rest = path.substr(std::char_traits<char>::length(marker));
      const std::string uid = rest.substr(0, rest.find('/'));
      if (is_valid_uid(uid)) return uid;
      break;
    }
  }
  error = "the pasted URL is not a Grafana dashboard URL (expected " + base->scheme + "://" +
          base->host + "/d/UID/...)";
  return std::nullopt;
}

// The link is built from the base URL and a path Grafana gave us; a url that
// is not a plain absolute path ("javascript:", "//evil") is ignored.
std::string dashboard_path(const std::string& path, const std::string& uid) {
  const bool plain_path = path.size() > 1 && path[0] == '/' && path[1] != '/' &&
                          path.find_first_of("\\\"'<> \t\r\n") == std::string::npos;
  return plain_path ? path : "/d/" + pct(uid);
}

std::string panel_title_html(const PanelRow& r) {
  if (r.title.empty()) return "<span class=\"vitrine-untitled\">(untitled)</span>";
  std::string out = esc(r.title);
  if (!r.repeat.empty()) {
    out += " <span class=\"vitrine-dashboard-repeat\">(repeated for $" + esc(r.repeat) + ")</span>";
  }
  return out;
}

Outcome render_dashboard(Ctx& ctx) {
  const std::string input = ctx.params.text("dashboard");
  if (input.empty()) {
    return Outcome::fail(VITRINE_E_INVALID,
                         "parameter 'dashboard' is required: give a dashboard uid or paste the "
                         "dashboard's URL");
  }
  std::string error;
  const auto uid = resolve_uid(input, ctx.base_url, error);
  if (!uid) return Outcome::fail(VITRINE_E_INVALID, error);
  const std::string variant = ctx.params.text("variant", "card");
  if (variant != "card" && variant != "compact") {
    return Outcome::fail(VITRINE_E_INVALID, "parameter 'variant' must be card or compact, not '" +
                                                ellipsize(variant, 40) + "'");
  }
  int64_t max_panels = ctx.params.integer("max_panels").value_or(50);
  if (max_panels < 1 || max_panels > 200) {
    return Outcome::fail(VITRINE_E_INVALID, "parameter 'max_panels' must be between 1 and 200");
  }

  const HttpResult r =
      ctx.caps.get(ctx.call, api_url(ctx.base_url, "/api/dashboards/uid/" + pct(*uid)),
                   {{"Accept", "application/json"}});
  if (auto f = http_failure(r, "dashboard UID '" + *uid +
                                   "' not found in this space's Grafana; check the uid, or "
                                   "whether the space's token may read that dashboard")) {
    return *f;
  }
  json::Doc doc;
  if (auto f = parse_json_body(r, "dashboard", doc)) return *f;
  const json::Obj root = json::as_object(doc);
  const json::Obj dash = json::object(root, "dashboard");
  if (!dash) {
    return Outcome::fail(VITRINE_E_UPSTREAM,
                         "Grafana's answer for dashboard '" + *uid +
                             "' has no 'dashboard' object; is the space's Grafana URL right?");
  }
  const json::Obj meta = json::object(root, "meta");

  std::string title = json::string(dash, "title");
  if (title.empty()) title = *uid;
  std::string folder = json::string(meta, "folderTitle");
  if (folder.empty()) folder = "General";
  const std::vector<std::string> tags = json::strings(dash, "tags");

  const std::string href = ctx.base_url + dashboard_path(json::string(meta, "url"), *uid);

  Model m;
  walk_panels(m, json::array(dash, "panels"));
  walk_legacy_rows(m, json::array(dash, "rows"));

  const std::string count_text =
      std::to_string(m.panel_count) + (m.panel_count == 1 ? " panel" : " panels");

  std::string h;
  if (variant == "compact") {
    h += "<span class=\"vitrine-dashboard vitrine-dashboard-compact\">";
    h += "<a class=\"vitrine-dashboard-link\" href=\"" + esc_attr(href) + "\">" + esc(title) +
         "</a> <span class=\"vitrine-dashboard-meta\">" + esc(folder) + " · " + count_text + " · " +
         esc(ctx.as_of()) + "</span></span>";
    return Outcome::ok(std::move(h), kTtlS);
  }

  h += "<div class=\"vitrine-dashboard vitrine-dashboard-card\">";
  h += "<div class=\"vitrine-dashboard-header\"><span class=\"vitrine-dashboard-title\">" +
       esc(title) + "</span> <span class=\"vitrine-dashboard-folder\">" + esc(folder) +
       "</span></div>";
  if (!tags.empty()) {
    h += "<ul class=\"vitrine-tags\">";
    for (const auto& t : tags) h += "<li class=\"vitrine-tag\">" + esc(t) + "</li>";
    h += "</ul>";
  }
  h += "<p class=\"vitrine-dashboard-count\">" + count_text + "</p>";
  if (m.panel_count == 0) {
    h += "<p class=\"vitrine-empty\">This dashboard has no panels.</p>";
  } else {
    h += "<table class=\"vitrine-dashboard-panels\"><thead><tr><th>Panel</th><th>Type</th></tr>"
         "</thead><tbody>";
    int64_t shown = 0;
    std::string pending_row;  // a row header is printed only if a panel under it is shown
    for (const auto& e : m.entries) {
      if (e.is_row) {
        pending_row = "<tr class=\"vitrine-dashboard-row\"><th colspan=\"2\">" +
                      panel_title_html(e) + "</th></tr>";
        continue;
      }
      if (shown >= max_panels) break;
      h += pending_row;
      pending_row.clear();
      h += "<tr class=\"vitrine-dashboard-panel\"><td>" + panel_title_html(e) + "</td><td>" +
           esc(e.type.empty() ? "unknown" : e.type) + "</td></tr>";
      ++shown;
    }
    h += "</tbody></table>";
    if (static_cast<size_t>(shown) < m.panel_count) {
      h += "<p class=\"vitrine-more\">and " +
           std::to_string(m.panel_count - static_cast<size_t>(shown)) + " more</p>";
    }
  }
  h += "<p class=\"vitrine-footer\"><a class=\"vitrine-dashboard-link\" href=\"" + esc_attr(href) +
       "\">Open in Grafana</a> <span class=\"vitrine-asof\">" + esc(ctx.as_of()) + "</span></p>";
  if (!ctx.zone.fallback.empty()) {
    h += "<p class=\"vitrine-note\">" + esc(ctx.zone.fallback) + "</p>";
  }
  h += "</div>";
  return Outcome::ok(std::move(h), kTtlS);
}

// ---------------------------------------------------------- dashboard-library

// Each dashboard shown costs one more request to Grafana (its panels are
// only in its JSON model), so the list is bounded; the manifest allows 1-50.
constexpr int64_t kDefaultMaxDashboards = 20;
constexpr int64_t kDefaultMaxPanels = 50;

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

// One search hit (type dash-db). Dashboards in the General folder carry no
// folder fields at all.
struct Hit {
  std::string uid;
  std::string title;
  std::string folder_title;
  std::string folder_uid;
  std::vector<std::string> tags;
  std::string href;  // the dashboard on the space's Grafana
};

// `folder` names a folder by title (any case) or uid; "General" (or its uid
// "general") is the root folder.
bool in_folder(const Hit& h, const std::string& folder) {
  return iequals(folder, h.folder_title) || folder == h.folder_uid;
}

// What the author filtered by, for the "no dashboards match" sentence.
std::string filter_text(const std::string& query, const std::vector<std::string>& tags,
                        const std::string& folder) {
  std::vector<std::string> parts;
  if (!query.empty()) parts.push_back("search \"" + query + "\"");
  if (!tags.empty()) {
    std::string t;
    for (const auto& tag : tags) t += (t.empty() ? "" : ", ") + tag;
    parts.push_back((tags.size() == 1 ? "tag \"" : "tags \"") + t + "\"");
  }
  if (!folder.empty()) parts.push_back("folder \"" + folder + "\"");
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  }
  return out;
}

// The panels of one dashboard as list items, or a note saying why they are
// not listed. Transient failures (timeouts, 5xx, 429, a truncated answer)
// fail the whole render so the host keeps its last good copy (P8); a
// dashboard deleted since the search (404) or one the token may not read
// (403) is a lasting answer and only that dashboard says so.
std::optional<Outcome> panels_html(Ctx& ctx, const Hit& hit, int64_t max_panels, std::string& h) {
  const HttpResult r =
      ctx.caps.get(ctx.call, api_url(ctx.base_url, "/api/dashboards/uid/" + pct(hit.uid)),
                   {{"Accept", "application/json"}});
  if (r.status == VITRINE_OK && (r.http_status == 404 || r.http_status == 403)) {
    h += "<p class=\"vitrine-note\">Panels not listed: " +
         std::string(r.http_status == 404
                         ? "Grafana no longer has this dashboard"
                         : "the space's Grafana token may not read this dashboard") +
         " (HTTP " + std::to_string(r.http_status) + ").</p>";
    return std::nullopt;
  }
  if (auto f = http_failure(r, "")) return f;
  json::Doc doc;
  if (auto f = parse_json_body(r, "dashboard", doc)) return f;
  const json::Obj dash = json::object(json::as_object(doc), "dashboard");
  if (!dash) {
    h += "<p class=\"vitrine-note\">Panels not listed: Grafana's answer for this dashboard has "
         "no 'dashboard' object.</p>";
    return std::nullopt;
  }
  Model m;
  walk_panels(m, json::array(dash, "panels"));
  walk_legacy_rows(m, json::array(dash, "rows"));
  if (m.panel_count == 0) {
    h += "<p class=\"vitrine-empty\">This dashboard has no panels.</p>";
    return std::nullopt;
  }
  h += "<ul class=\"vitrine-library-panels\">";
  int64_t shown = 0;
  for (const auto& e : m.entries) {
    if (e.is_row) continue;
    if (shown >= max_panels) break;
    ++shown;
    h += "<li class=\"vitrine-library-panel\">";
    // Without an id Grafana cannot open the panel on its own: listed, not linked.
    if (e.id) {
      const std::string panel_title = e.title.empty() ? "(untitled)" : e.title;
      h += "<a class=\"vitrine-library-link vitrine-library-panel-link\" href=\"" +
           esc_attr(hit.href + "?viewPanel=" + std::to_string(*e.id)) + "\" title=\"" +
           esc_attr(hit.title + ": " + panel_title) + "\">" + panel_title_html(e) + "</a>";
    } else {
      h += panel_title_html(e);
    }
    h += " <span class=\"vitrine-library-type\">" + esc(e.type.empty() ? "unknown" : e.type) +
         "</span></li>";
  }
  h += "</ul>";
  if (static_cast<size_t>(shown) < m.panel_count) {
    h += "<p class=\"vitrine-more\">and " +
         std::to_string(m.panel_count - static_cast<size_t>(shown)) + " more panels</p>";
  }
  return std::nullopt;
}

Outcome render_library(Ctx& ctx) {
  const std::string query = ctx.params.text("query");
  const std::string folder = ctx.params.text("folder");
  const std::vector<std::string> tags = ctx.params.items("tag");
  const int64_t max_dashboards =
      ctx.params.integer("max_dashboards").value_or(kDefaultMaxDashboards);
  const int64_t max_panels = ctx.params.integer("max_panels").value_or(kDefaultMaxPanels);
  if (max_dashboards < 1 || max_dashboards > 50) {
    return Outcome::fail(VITRINE_E_INVALID, "parameter 'max_dashboards' must be between 1 and 50");
  }
  if (max_panels < 1 || max_panels > 200) {
    return Outcome::fail(VITRINE_E_INVALID, "parameter 'max_panels' must be between 1 and 200");
  }
  const std::string panels_param = ctx.params.text("panels", "true");
  const bool with_panels = panels_param != "false";

  Query q;
  q.add("type", "dash-db");
  if (!query.empty()) q.add("query", query);
  for (const auto& t : tags) q.add("tag", t);  // Grafana requires every tag given
  const HttpResult r = ctx.caps.get(ctx.call, api_url(ctx.base_url, "/api/search", q),
                                    {{"Accept", "application/json"}});
  if (auto f = http_failure(r,
                            "Grafana has no search API at this space's Grafana URL "
                            "(HTTP 404); is the space's Grafana URL right?")) {
    return *f;
  }
  json::Doc doc;
  if (auto f = parse_json_body(r, "search", doc)) return *f;
  const json::Arr results = json::as_array(doc);
  if (!results) {
    return Outcome::fail(
        VITRINE_E_UPSTREAM,
        "Grafana's search answer is not a list; is the space's Grafana URL right?");
  }

  std::vector<Hit> hits;
  for (size_t i = 0; i < results.size(); ++i) {
    const json::Obj o = json::as_object(results.at(i));
    if (!o) continue;
    const std::string type = json::string(o, "type");
    if (!type.empty() && type != "dash-db") continue;
    Hit h;
    h.uid = json::string(o, "uid");
    // A hit without a valid uid cannot be linked or read; Grafana always
    // sends one, so this only skips damaged answers.
    if (!is_valid_uid(h.uid)) continue;
    h.title = json::string(o, "title");
    if (h.title.empty()) h.title = h.uid;
    h.folder_title = json::string(o, "folderTitle");
    h.folder_uid = json::string(o, "folderUid");
    if (h.folder_title.empty()) h.folder_title = "General";
    if (h.folder_uid.empty()) h.folder_uid = "general";
    h.tags = json::strings(o, "tags");
    if (!folder.empty() && !in_folder(h, folder)) continue;
    std::string path = dashboard_path(json::string(o, "url"), h.uid);
    // Panel links append ?viewPanel=ID, so the path must not carry its own.
    if (path.find_first_of("?#") != std::string::npos) path = "/d/" + pct(h.uid);
    h.href = ctx.base_url + path;
    hits.push_back(std::move(h));
  }

  std::string h = "<div class=\"vitrine-library\">";
  if (hits.empty()) {
    const std::string filters = filter_text(query, tags, folder);
    h += "<p class=\"vitrine-empty\">" +
         (filters.empty() ? std::string("No dashboards: the space's Grafana token can read none.")
                          : "No dashboards match " + esc(filters) + ".") +
         "</p>";
  } else {
    h += "<p class=\"vitrine-library-count\">" + std::to_string(hits.size()) +
         (hits.size() == 1 ? " dashboard" : " dashboards") + "</p>";
    h += "<ul class=\"vitrine-library-dashboards\">";
    const size_t shown = std::min(hits.size(), static_cast<size_t>(max_dashboards));
    for (size_t i = 0; i < shown; ++i) {
      const Hit& hit = hits[i];
      h += "<li class=\"vitrine-library-dashboard\"><a class=\"vitrine-library-link "
           "vitrine-library-dashboard-link\" href=\"" +
           esc_attr(hit.href) + "\">" + esc(hit.title) +
           "</a> <span class=\"vitrine-dashboard-folder\">" + esc(hit.folder_title) + "</span>";
      if (!hit.tags.empty()) {
        h += "<ul class=\"vitrine-tags\">";
        for (const auto& t : hit.tags) h += "<li class=\"vitrine-tag\">" + esc(t) + "</li>";
        h += "</ul>";
      }
      if (with_panels) {
        if (auto f = panels_html(ctx, hit, max_panels, h)) return *f;
      }
      h += "</li>";
    }
    h += "</ul>";
    if (shown < hits.size()) {
      h += "<p class=\"vitrine-more\">and " + std::to_string(hits.size() - shown) +
           " more dashboards; narrow the list with query, folder or tag</p>";
    }
  }
  h += "<p class=\"vitrine-footer\"><span class=\"vitrine-asof\">" + esc(ctx.as_of()) +
       "</span></p>";
  if (!ctx.zone.fallback.empty()) {
    h += "<p class=\"vitrine-note\">" + esc(ctx.zone.fallback) + "</p>";
  }
  h += "</div>";
  return Outcome::ok(std::move(h), kTtlS);
}

const char* const kKeys[] = {"dashboard", "dashboard-library", nullptr};
const MacroDef kMacros[] = {{"dashboard", &render_dashboard},
                            {"dashboard-library", &render_library}};

}  // namespace

VITRINE_PC_DEFINE_PLUGIN("dashboard", "1.1.0", kKeys, kMacros)
