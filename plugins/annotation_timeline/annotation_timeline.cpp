// annotation_timeline: annotations (deploys, incidents, alert transitions)
// as an inline SVG timeline of points and regions, with a table below. One
// GET: /api/annotations (scope grafana:read:annotations).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "vitrine_plugin/entry.h"
#include "vitrine_plugin/html.h"
#include "vitrine_plugin/url.h"

namespace {

using namespace vitrine::pc;

// New annotations appear as people deploy; two minutes keeps pages current
// without asking Grafana on every view.
constexpr uint32_t kTtlS = 120;
constexpr int64_t kSvgWidth = 800;
constexpr int64_t kSvgHeight = 56;
constexpr int64_t kPad = 8;

struct Event {
  int64_t id = 0;
  int64_t time = 0;
  int64_t time_end = 0;
  std::string text;
  std::vector<std::string> tags;
};

// x position of `t` on the axis, clamped to the drawing area, in whole
// pixels so the SVG is stable and compact.
int64_t x_of(int64_t t, int64_t from, int64_t to) {
  const int64_t span = std::max<int64_t>(1, to - from);
  const int64_t clamped = std::clamp(t, from, to);
  const double frac = static_cast<double>(clamped - from) / static_cast<double>(span);
  return kPad + static_cast<int64_t>(frac * static_cast<double>(kSvgWidth - 2 * kPad));
}

std::vector<std::string> split_tags(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string t = text.substr(start, comma - start);
    while (!t.empty() && t.front() == ' ') t.erase(t.begin());
    while (!t.empty() && t.back() == ' ') t.pop_back();
    if (!t.empty()) out.push_back(t);
    start = comma + 1;
  }
  return out;
}

Outcome render_timeline(Ctx& ctx) {
  const std::string dashboard_uid = ctx.params.text("dashboard_uid");
  if (!dashboard_uid.empty() && !is_valid_uid(dashboard_uid)) {
    return Outcome::fail(VITRINE_E_INVALID,
                         "parameter 'dashboard_uid' is not a Grafana uid (1-40 letters, digits, "
                         "'-' or '_')");
  }
  const bool has_panel = ctx.params.is_set("panel_id") || ctx.params.find("panel_id") != nullptr;
  const int64_t panel_id = has_panel ? ctx.params.integer("panel_id").value_or(0) : 0;
  if (has_panel && dashboard_uid.empty()) {
    return Outcome::fail(VITRINE_E_INVALID,
                         "parameter 'panel_id' needs 'dashboard_uid': panel ids are only unique "
                         "within one dashboard");
  }
  const std::vector<std::string> tags = split_tags(ctx.params.text("tags"));
  const std::string tag_match = ctx.params.text("tag_match", "any");
  if (tag_match != "any" && tag_match != "all") {
    return Outcome::fail(VITRINE_E_INVALID, "parameter 'tag_match' must be any or all");
  }
  const vitrine_param* pf = ctx.params.find("from");
  const vitrine_param* pt = ctx.params.find("to");
  const int64_t from = pf != nullptr ? pf->int_value : ctx.req->time_from_ms;
  const int64_t to = pt != nullptr ? pt->int_value : ctx.req->time_to_ms;
  if (from >= to) {
    return Outcome::fail(VITRINE_E_INVALID,
                         "the time range ends before it starts ('from' must be earlier than "
                         "'to'), e.g. from now-7d to now");
  }
  const int64_t max_events = ctx.params.integer("max_events").value_or(100);
  if (max_events < 1 || max_events > 1000) {
    return Outcome::fail(VITRINE_E_INVALID, "parameter 'max_events' must be between 1 and 1000");
  }
  // The macro's own timezone wins; left at its default, the page's applies.
  Zone zone = ctx.params.is_set("timezone") ? resolve_zone(ctx.params.text("timezone")) : ctx.zone;

  Query q;
  q.add("from", static_cast<long long>(from)).add("to", static_cast<long long>(to));
  q.add("limit", static_cast<long long>(max_events));
  if (!dashboard_uid.empty()) q.add("dashboardUID", dashboard_uid);
  if (panel_id > 0) q.add("panelId", static_cast<long long>(panel_id));
  for (const auto& t : tags) q.add("tags", t);
  if (!tags.empty() && tag_match == "any") q.add("matchAny", "true");
  const HttpResult r = ctx.caps.get(ctx.call, api_url(ctx.base_url, "/api/annotations", q),
                                    {{"Accept", "application/json"}});
  if (auto f = http_failure(r,
                            "Grafana has no annotations API at this address (HTTP 404); is "
                            "the space's Grafana URL right?")) {
    return *f;
  }
  json::Doc doc;
  if (auto f = parse_json_body(r, "annotations", doc)) return *f;
  const json::Arr list = json::as_array(doc);
  if (!list) {
    return Outcome::fail(VITRINE_E_UPSTREAM,
                         "Grafana's annotations answer is not a list; is the space's Grafana URL "
                         "right?");
  }

  // Grafana filters already; filtering again keeps the result right against
  // older stacks that ignore a parameter (and against the simulator).
  std::vector<Event> events;
  for (size_t i = 0; i < list.size(); ++i) {
    const json::Obj a = json::as_object(list.at(i));
    if (!a) continue;
    const auto time = json::integer(a, "time");
    if (!time || *time <= 0) continue;  // no position on the axis
    Event e;
    e.id = json::integer(a, "id").value_or(0);
    e.time = *time;
    // Points and old annotations have no timeEnd (or 0, or timeEnd == time).
    e.time_end = std::max(e.time, json::integer(a, "timeEnd").value_or(e.time));
    if (e.time > to || e.time_end < from) continue;
    if (!dashboard_uid.empty() && json::string(a, "dashboardUID") != dashboard_uid) continue;
    if (panel_id > 0 && json::integer(a, "panelId").value_or(0) != panel_id) continue;
    e.tags = json::strings(a, "tags");
    if (!tags.empty()) {
      const std::set<std::string> have(e.tags.begin(), e.tags.end());
      const auto present = [&](const std::string& t) { return have.count(t) > 0; };
      const bool ok = tag_match == "any" ? std::any_of(tags.begin(), tags.end(), present)
                                         : std::all_of(tags.begin(), tags.end(), present);
      if (!ok) continue;
    }
    e.text = json::string(a, "text");
    if (e.text.empty()) e.text = json::string(a, "alertName");
    const std::string state = json::string(a, "newState");
    if (!state.empty()) e.text += " → " + state;
    events.push_back(std::move(e));
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.time > b.time; });
  if (events.size() > static_cast<size_t>(max_events)) {
    events.resize(static_cast<size_t>(max_events));
  }

  const std::string range_text = format_time(from, zone) + " – " + format_time(to, zone);
  std::string h = "<div class=\"vitrine-timeline\">";
  if (events.empty()) {
    h += "<p class=\"vitrine-empty\">No annotations between " + esc(range_text) + ".</p>";
  } else {
    h += "<svg class=\"vitrine-timeline-svg\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
         std::to_string(kSvgWidth) + " " + std::to_string(kSvgHeight) + "\" width=\"" +
         std::to_string(kSvgWidth) + "\" height=\"" + std::to_string(kSvgHeight) +
         "\" role=\"img\" aria-label=\"" + esc_attr("Annotations " + range_text) + "\">";
    h += "<line class=\"vitrine-timeline-axis\" x1=\"" + std::to_string(kPad) +
         "\" y1=\"30\" x2=\"" + std::to_string(kSvgWidth - kPad) +
         "\" y2=\"30\" stroke=\"currentColor\"/>";
    // Oldest first, so newer marks are drawn on top.
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      const int64_t x1 = x_of(it->time, from, to);
      const std::string title =
          "<title>" + esc(format_time(it->time, zone) + " " + it->text) + "</title>";
      if (it->time_end > it->time) {
        const int64_t x2 = x_of(it->time_end, from, to);
        h += "<rect class=\"vitrine-timeline-region\" x=\"" + std::to_string(x1) +
             "\" y=\"22\" width=\"" + std::to_string(std::max<int64_t>(1, x2 - x1)) +
             "\" height=\"16\" fill=\"currentColor\" fill-opacity=\"0.3\">" + title + "</rect>";
      } else {
        h += "<circle class=\"vitrine-timeline-point\" cx=\"" + std::to_string(x1) +
             "\" cy=\"30\" r=\"4\" fill=\"currentColor\">" + title + "</circle>";
      }
    }
    h += "<text class=\"vitrine-timeline-label\" x=\"" + std::to_string(kPad) +
         "\" y=\"52\" font-size=\"10\">" + esc(format_time(from, zone)) +
         "</text><text class=\"vitrine-timeline-label\" x=\"" + std::to_string(kSvgWidth - kPad) +
         "\" y=\"52\" font-size=\"10\" text-anchor=\"end\">" + esc(format_time(to, zone)) +
         "</text></svg>";
    h += "<table class=\"vitrine-timeline-table\"><thead><tr><th>When</th><th>Duration</th>"
         "<th>Event</th><th>Tags</th></tr></thead><tbody>";
    for (const auto& e : events) {
      const bool region = e.time_end > e.time;
      h += std::string("<tr class=\"vitrine-timeline-") + (region ? "region" : "point") +
           "\"><td>" + esc(format_time(e.time, zone)) + "</td><td>" +
           (region ? esc(format_duration(e.time_end - e.time)) : std::string()) + "</td><td>" +
           esc(ellipsize(e.text, 500)) + "</td><td>";
      if (!e.tags.empty()) {
        h += "<ul class=\"vitrine-tags\">";
        for (const auto& t : e.tags) h += "<li class=\"vitrine-tag\">" + esc(t) + "</li>";
        h += "</ul>";
      }
      h += "</td></tr>";
    }
    h += "</tbody></table>";
    if (events.size() == static_cast<size_t>(max_events)) {
      h += "<p class=\"vitrine-more\">Showing the newest " + std::to_string(max_events) +
           " events; raise max_events or narrow the range to see more.</p>";
    }
  }
  h += "<p class=\"vitrine-footer\"><span class=\"vitrine-asof\">" + esc(ctx.as_of()) +
       "</span></p>";
  if (!zone.fallback.empty()) h += "<p class=\"vitrine-note\">" + esc(zone.fallback) + "</p>";
  h += "</div>";
  return Outcome::ok(std::move(h), kTtlS);
}

const char* const kKeys[] = {"annotation-timeline", nullptr};
const MacroDef kMacros[] = {{"annotation-timeline", &render_timeline}};

}  // namespace

VITRINE_PC_DEFINE_PLUGIN("annotation_timeline", "1.0.0", kKeys, kMacros)
