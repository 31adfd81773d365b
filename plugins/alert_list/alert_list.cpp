// alert_list: Grafana-managed alerts as a table (rule, state, severity,
// labels, since, summary, runbook) or as one status badge. One GET:
// /api/prometheus/grafana/api/v1/rules (scope grafana:read:alerts), which
// carries every rule with its health and its alert instances.
#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "vitrine_plugin/entry.h"
#include "vitrine_plugin/html.h"
#include "vitrine_plugin/url.h"

namespace {

using namespace vitrine::pc;

// Alert state moves fast; a minute is what a reader of a runbook expects.
constexpr uint32_t kTtlS = 60;
// std::regex is backtracking; bound both the pattern and the input so a
// matcher cannot stall a render thread.
constexpr size_t kMaxRegexBytes = 256;
constexpr size_t kMaxMatchedValueBytes = 1024;

// ------------------------------------------------------------- matchers

struct Matcher {
  std::string name;
  std::string op;  // "=", "!=", "=~"
  std::string value;
  std::optional<std::regex> re;
};

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Parses `team="payments", env!="dev", service=~"api-.*"`.
std::optional<std::vector<Matcher>> parse_matchers(std::string_view text, std::string& error) {
  std::vector<Matcher> out;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  while (true) {
    skip_ws();
    if (i >= text.size()) break;
    Matcher m;
    const size_t start = i;
    while (i < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[i])) != 0 || text[i] == '_'))
      ++i;
    m.name = std::string(text.substr(start, i - start));
    skip_ws();
    if (text.substr(i, 2) == "!=") {
      m.op = "!=";
      i += 2;
    } else if (text.substr(i, 2) == "=~") {
      m.op = "=~";
      i += 2;
    } else if (text.substr(i, 1) == "=") {
      m.op = "=";
      i += 1;
    }
    skip_ws();
    if (m.name.empty() || m.op.empty() || i >= text.size() || text[i] != '"') {
      error =
          "parameter 'labels' must be matchers like team=\"payments\", env!=\"dev\", "
          "service=~\"api-.*\"";
      return std::nullopt;
    }
    const size_t close = text.find('"', i + 1);
    if (close == std::string_view::npos) {
      error = "parameter 'labels': the value for '" + m.name + "' has no closing quote";
      return std::nullopt;
    }
    m.value = std::string(text.substr(i + 1, close - i - 1));
    i = close + 1;
    if (m.op == "=~") {
      if (m.value.size() > kMaxRegexBytes) {
        error = "parameter 'labels': the pattern for '" + m.name + "' is longer than " +
                std::to_string(kMaxRegexBytes) + " bytes";
        return std::nullopt;
      }
      try {
        // Anchored like Prometheus: the whole label value must match.
        m.re.emplace("^(?:" + m.value + ")$", std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        error = "parameter 'labels': '" + m.value + "' is not a valid regular expression";
        return std::nullopt;
      }
    }
    out.push_back(std::move(m));
    skip_ws();
    if (i < text.size()) {
      if (text[i] != ',') {
        error = "parameter 'labels': separate matchers with commas";
        return std::nullopt;
      }
      ++i;
    }
  }
  return out;
}

using Labels = std::map<std::string, std::string>;

bool matches(const Matcher& m, const Labels& labels) {
  // Prometheus semantics: a missing label has the empty value.
  const auto it = labels.find(m.name);
  const std::string value = it == labels.end() ? std::string() : it->second;
  if (m.op == "=") return value == m.value;
  if (m.op == "!=") return value != m.value;
  if (value.size() > kMaxMatchedValueBytes) return false;
  return std::regex_match(value, *m.re);
}

// ---------------------------------------------------------------- state

// What a row shows. `primary` is what the rule does (firing, pending,
// recovering, normal, nodata, error); `health` adds no-data or error when the
// rule's evaluation has that problem although its primary state says
// otherwise (a rule configured to fire on no data is "firing" with health
// "nodata").
struct State {
  std::string primary;
  std::string health;  // "", "nodata", "error"
  bool paused = false;

  bool in(const std::set<std::string>& wanted) const {
    return wanted.count(primary) > 0 || (!health.empty() && wanted.count(health) > 0);
  }
};

std::string health_of(std::string_view s) {
  if (s == "nodata" || s == "NoData") return "nodata";
  if (s == "error" || s == "Error") return "error";
  return {};
}

// Instance states: "Alerting", "Pending", "Normal", "NoData", "Error",
// "Recovering", optionally with a reason: "Alerting (NoData)",
// "Normal (Error)", "Normal (Paused)", "Normal (MissingSeries)".
std::optional<State> instance_state(const std::string& raw) {
  std::string base = raw;
  std::string reason;
  if (const size_t p = raw.find(" ("); p != std::string::npos && raw.back() == ')') {
    base = raw.substr(0, p);
    reason = raw.substr(p + 2, raw.size() - p - 3);
  }
  State s;
  if (base == "Alerting" || base == "Firing") {
    s.primary = "firing";
  } else if (base == "Pending") {
    s.primary = "pending";
  } else if (base == "Normal" || base == "Inactive") {
    s.primary = "normal";
  } else if (base == "Recovering") {
    s.primary = "recovering";
  } else if (base == "NoData") {
    s.primary = "nodata";
  } else if (base == "Error") {
    s.primary = "error";
  } else {
    return std::nullopt;
  }
  s.health = health_of(reason);
  if (reason == "Paused") s.paused = true;
  return s;
}

State rule_state(const std::string& state, const std::string& health, bool paused) {
  State s;
  if (state == "firing") {
    s.primary = "firing";
  } else if (state == "pending") {
    s.primary = "pending";
  } else if (state == "recovering") {
    s.primary = "recovering";
  } else {
    s.primary = "normal";  // "inactive", or missing on very old stacks
  }
  s.health = health_of(health);
  // A rule that does not fire because it has no data or errors is shown as
  // that problem, not as "normal".
  if (s.primary == "normal" && !s.health.empty()) {
    s.primary = s.health;
    s.health.clear();
  }
  s.paused = paused;
  return s;
}

const char* state_label(const std::string& primary) {
  if (primary == "firing") return "Firing";
  if (primary == "pending") return "Pending";
  if (primary == "recovering") return "Recovering";
  if (primary == "nodata") return "No data";
  if (primary == "error") return "Error";
  return "Normal";
}

int state_rank(const std::string& primary) {
  if (primary == "firing") return 0;
  if (primary == "error") return 1;
  if (primary == "nodata") return 2;
  if (primary == "pending") return 3;
  if (primary == "recovering") return 4;
  return 5;
}

// ----------------------------------------------------------------- rows

struct Row {
  std::string rule;
  std::string folder;
  State state;
  std::string severity;
  Labels labels;  // shown: without grafana_folder/alertname and __private__ labels
  std::string since_rfc3339;
  std::string summary;
  std::string runbook;
  size_t order = 0;
};

struct Filters {
  std::set<std::string> states;
  std::set<std::string> severities;
  std::vector<Matcher> matchers;
  std::string folder;
};

bool shown_label(const std::string& k) {
  return k != "alertname" && k != "grafana_folder" && k != "severity" && k.rfind("__", 0) != 0;
}

struct Collected {
  std::vector<Row> rows;  // after filters
  size_t total = 0;       // before filters
  std::string error;      // a shape problem worth telling
};

Labels merge_labels(const std::vector<std::pair<std::string, std::string>>& rule,
                    const std::vector<std::pair<std::string, std::string>>& inst) {
  Labels l(rule.begin(), rule.end());
  for (const auto& [k, v] : inst) l[k] = v;
  return l;
}

std::string annotation(const std::vector<std::pair<std::string, std::string>>& a,
                       const std::string& key) {
  for (const auto& [k, v] : a) {
    if (k == key) return v;
  }
  return {};
}

bool passes(const Row& row, const Labels& all_labels, const Filters& f, bool check_state) {
  if (check_state && !row.state.in(f.states)) return false;
  if (!f.severities.empty()) {
    std::string sev = row.severity;
    std::transform(sev.begin(), sev.end(), sev.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (f.severities.count(sev) == 0) return false;
  }
  for (const auto& m : f.matchers) {
    if (!matches(m, all_labels)) return false;
  }
  return true;
}

Collected collect(const json::Obj& data, const Filters& f, bool check_state) {
  Collected c;
  const json::Arr groups = json::array(data, "groups");
  if (!groups) return c;
  size_t order = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    const json::Obj group = json::as_object(groups.at(g));
    if (!group) continue;
    // "file" is the folder's title in Grafana's Prometheus-style answer.
    const std::string folder_title = json::string(group, "file");
    const std::string group_folder_uid = json::string(group, "folderUid");
    const json::Arr rules = json::array(group, "rules");
    if (!rules) continue;
    for (size_t r = 0; r < rules.size(); ++r) {
      const json::Obj rule = json::as_object(rules.at(r));
      if (!rule) continue;
      // Recording rules have no alert state.
      const std::string type = json::string(rule, "type", "alerting");
      if (type != "alerting") continue;
      const std::string name = json::string(rule, "name", "(unnamed rule)");
      const std::string folder_uid = json::string(rule, "folderUid", group_folder_uid);
      const auto rule_labels = json::string_map(rule, "labels");
      const auto rule_ann = json::string_map(rule, "annotations");
      const std::string rule_health = health_of(json::string(rule, "health"));
      const State rs = rule_state(json::string(rule, "state"), json::string(rule, "health"),
                                  json::boolean(rule, "isPaused").value_or(false));
      const bool folder_ok =
          f.folder.empty() || f.folder == folder_uid || (!folder_title.empty() && [&] {
            if (folder_title.size() != f.folder.size()) return false;
            for (size_t i = 0; i < f.folder.size(); ++i) {
              if (std::tolower(static_cast<unsigned char>(folder_title[i])) !=
                  std::tolower(static_cast<unsigned char>(f.folder[i]))) {
                return false;
              }
            }
            return true;
          }());

      auto make_row = [&](const State& st, const Labels& labels,
                          const std::vector<std::pair<std::string, std::string>>& ann,
                          const std::string& since) {
        Row row;
        row.rule = name;
        row.folder = folder_title;
        row.state = st;
        const auto sev = labels.find("severity");
        row.severity = sev == labels.end() ? std::string() : sev->second;
        for (const auto& [k, v] : labels) {
          if (shown_label(k)) row.labels[k] = v;
        }
        row.since_rfc3339 = since;
        row.summary = annotation(ann, "summary");
        if (row.summary.empty()) row.summary = annotation(rule_ann, "summary");
        row.runbook = annotation(ann, "runbook_url");
        if (row.runbook.empty()) row.runbook = annotation(rule_ann, "runbook_url");
        row.order = order++;
        ++c.total;
        if (folder_ok && passes(row, labels, f, check_state)) c.rows.push_back(std::move(row));
      };

      const json::Arr alerts = json::array(rule, "alerts");
      size_t instances = 0;
      if (alerts) {
        for (size_t a = 0; a < alerts.size(); ++a) {
          const json::Obj alert = json::as_object(alerts.at(a));
          if (!alert) continue;
          ++instances;
          State st = instance_state(json::string(alert, "state")).value_or(rs);
          // The rule's health applies to an instance that does not say more
          // itself (a plain "Normal" while the rule's queries fail).
          if (st.health.empty() && rule_health != st.primary) st.health = rule_health;
          st.paused = st.paused || rs.paused;
          const std::string since = json::string(alert, "activeAt");
          make_row(st, merge_labels(rule_labels, json::string_map(alert, "labels")),
                   json::string_map(alert, "annotations"), since);
        }
      }
      if (instances == 0) {
        make_row(rs, Labels(rule_labels.begin(), rule_labels.end()), rule_ann, std::string());
      }
    }
  }
  return c;
}

std::optional<Outcome> read_filters(Ctx& ctx, Filters& f, bool with_states) {
  if (with_states) {
    const auto items = ctx.params.items("states");
    static const std::set<std::string> kKnown = {"firing",     "pending", "normal",
                                                 "recovering", "nodata",  "error"};
    for (const auto& s : items) {
      if (kKnown.count(s) == 0) {
        return Outcome::fail(VITRINE_E_INVALID,
                             "parameter 'states': unknown state '" + ellipsize(s, 40) +
                                 "'; use firing, pending, recovering, normal, nodata or error");
      }
      f.states.insert(s);
    }
    if (f.states.empty()) f.states = {"firing", "pending", "recovering", "nodata", "error"};
  }
  static const std::set<std::string> kSev = {"critical", "high", "warning", "info"};
  for (const auto& s : ctx.params.items("severity")) {
    if (kSev.count(s) == 0) {
      return Outcome::fail(VITRINE_E_INVALID, "parameter 'severity': unknown severity '" +
                                                  ellipsize(s, 40) +
                                                  "'; use critical, high, warning or info");
    }
    f.severities.insert(s);
  }
  std::string error;
  auto matchers = parse_matchers(ctx.params.text("labels"), error);
  if (!matchers) return Outcome::fail(VITRINE_E_INVALID, error);
  f.matchers = std::move(*matchers);
  f.folder = trim(ctx.params.text("folder"));
  return std::nullopt;
}

// Fetches and checks the rules answer; on success `data` is its data object,
// a view into `doc`.
std::optional<Outcome> fetch_rules(Ctx& ctx, json::Doc& doc, json::Obj& data) {
  const HttpResult r =
      ctx.caps.get(ctx.call, api_url(ctx.base_url, "/api/prometheus/grafana/api/v1/rules"),
                   {{"Accept", "application/json"}});
  if (auto f = http_failure(r,
                            "Grafana has no alerting API at this address (HTTP 404); is "
                            "Grafana Alerting enabled on the space's stack?")) {
    return f;
  }
  if (auto f = parse_json_body(r, "alert rules", doc)) return f;
  const json::Obj root = json::as_object(doc);
  const std::string status = json::string(root, "status");
  if (status == "error") {
    return Outcome::fail(VITRINE_E_UPSTREAM,
                         "Grafana could not list alert rules: " +
                             ellipsize(json::string(root, "error", "no reason given"), 300));
  }
  data = json::object(root, "data");
  if (!root || !data || !json::array(data, "groups")) {
    // An empty stack answers {"status":"success","data":{"groups":[]}}; an
    // answer without groups is not Grafana's alerting API.
    if (data && data["groups"].is_null()) return std::nullopt;
    return Outcome::fail(VITRINE_E_UPSTREAM,
                         "Grafana's alert rules answer has no rule groups (data.groups); is the "
                         "space's Grafana URL right?");
  }
  return std::nullopt;
}

std::string since_text(const Ctx& ctx, const std::string& rfc3339) {
  if (is_zero_time(rfc3339)) return "—";
  const auto ms = parse_rfc3339_ms(rfc3339);
  if (!ms) return "—";
  return format_time(*ms, ctx.zone);
}

std::string state_html(const State& s) {
  std::string cls = "vitrine-state vitrine-state-" + s.primary;
  std::string text = state_label(s.primary);
  if (!s.health.empty()) {
    cls += " vitrine-health-" + s.health;
    text += s.health == "nodata" ? " (no data)" : " (error)";
  }
  if (s.paused) text += " (paused)";
  return "<span class=\"" + cls + "\">" + esc(text) + "</span>";
}

Outcome render_list(Ctx& ctx) {
  Filters f;
  if (auto o = read_filters(ctx, f, true)) return *o;
  const int64_t max_items = ctx.params.integer("max_items").value_or(50);
  if (max_items < 1 || max_items > 500) {
    return Outcome::fail(VITRINE_E_INVALID, "parameter 'max_items' must be between 1 and 500");
  }
  json::Doc doc;
  json::Obj data;
  if (auto o = fetch_rules(ctx, doc, data)) return *o;
  Collected c = collect(data, f, true);
  std::stable_sort(c.rows.begin(), c.rows.end(), [](const Row& a, const Row& b) {
    return state_rank(a.state.primary) < state_rank(b.state.primary);
  });

  std::string h = "<div class=\"vitrine-alerts\">";
  if (c.total == 0) {
    h += "<p class=\"vitrine-empty\">No alerts: this Grafana stack has no alert rules.</p>";
  } else if (c.rows.empty()) {
    h += "<p class=\"vitrine-empty vitrine-filtered\">" + std::to_string(c.total) +
         (c.total == 1 ? " alert, filtered out" : " alerts, all filtered out") +
         " by this macro's filters.</p>";
  } else {
    h += "<table class=\"vitrine-alert-table\"><thead><tr><th>Rule</th><th>State</th>"
         "<th>Severity</th><th>Labels</th><th>Since</th><th>Summary</th><th>Runbook</th></tr>"
         "</thead><tbody>";
    int64_t shown = 0;
    for (const auto& row : c.rows) {
      if (shown >= max_items) break;
      ++shown;
      h += "<tr class=\"vitrine-alert vitrine-alert-" + row.state.primary + "\"><td>" +
           esc(row.rule) + "</td><td>" + state_html(row.state) + "</td><td>";
      if (!row.severity.empty()) {
        h += "<span class=\"vitrine-severity\">" + esc(row.severity) + "</span>";
      }
      h += "</td><td>";
      if (!row.labels.empty()) {
        h += "<ul class=\"vitrine-labels\">";
        for (const auto& [k, v] : row.labels) {
          h += "<li class=\"vitrine-label\">" + esc(k) + "=" + esc(ellipsize(v, 200)) + "</li>";
        }
        h += "</ul>";
      }
      h += "</td><td>" + esc(since_text(ctx, row.since_rfc3339)) + "</td><td>" +
           esc(ellipsize(row.summary, 500)) + "</td><td>";
      if (is_safe_link(row.runbook)) {
        h += "<a class=\"vitrine-runbook\" href=\"" + esc_attr(row.runbook) +
             "\" rel=\"noopener noreferrer\">Runbook</a>";
      } else if (!row.runbook.empty()) {
        h += "<span class=\"vitrine-runbook-invalid\">" + esc(ellipsize(row.runbook, 200)) +
             "</span>";
      }
      h += "</td></tr>";
    }
    h += "</tbody></table>";
    const size_t more = c.rows.size() - static_cast<size_t>(shown);
    if (more > 0) h += "<p class=\"vitrine-more\">and " + std::to_string(more) + " more</p>";
  }
  h += "<p class=\"vitrine-footer\"><span class=\"vitrine-asof\">" + esc(ctx.as_of()) +
       "</span></p></div>";
  return Outcome::ok(std::move(h), kTtlS);
}

Outcome render_badge(Ctx& ctx) {
  // The badge is a licensed feature (manifest: license alert-badges). Ask the
  // host; a missing license capability counts as not licensed.
  const auto licensed = ctx.caps.licensed(ctx.call, "alert-badges");
  if (!licensed.value_or(false)) {
    return Outcome::fail(VITRINE_E_NOT_LICENSED,
                         "the alert status badge is not licensed for this space (feature "
                         "'alert-badges'); a platform admin can add it to the license, or use "
                         "the alert-list macro instead");
  }
  Filters f;
  if (auto o = read_filters(ctx, f, false)) return *o;
  json::Doc doc;
  json::Obj data;
  if (auto o = fetch_rules(ctx, doc, data)) return *o;
  const Collected c = collect(data, f, false);

  std::map<std::string, size_t> n;
  for (const auto& row : c.rows) {
    ++n[row.state.primary == "recovering" ? "firing" : row.state.primary];
    if (!row.state.health.empty()) ++n[row.state.health];
  }
  std::string status;
  std::string cls;
  if (c.rows.empty()) {
    status = "Unknown";
    cls = "unknown";
  } else if (n["firing"] > 0) {
    status = "Firing";
    cls = "firing";
  } else if (n["error"] > 0 || n["pending"] > 0) {
    status = "Degraded";
    cls = "degraded";
  } else if (n["nodata"] > 0) {
    status = "No data";
    cls = "nodata";
  } else {
    status = "Healthy";
    cls = "healthy";
  }
  std::string counts;
  for (const auto& [key, label] :
       std::vector<std::pair<std::string, std::string>>{{"firing", "firing"},
                                                        {"pending", "pending"},
                                                        {"error", "error"},
                                                        {"nodata", "no data"},
                                                        {"normal", "normal"}}) {
    if (n[key] == 0) continue;
    counts += (counts.empty() ? "" : ", ") + std::to_string(n[key]) + " " + label;
  }
  if (c.rows.empty()) {
    counts = c.total == 0 ? "no alert rules" : "no alert rules match the filters";
  }
  std::string h = "<span class=\"vitrine-alert-badge vitrine-badge-" + cls + "\" title=\"" +
                  esc_attr(ctx.as_of()) + "\"><span class=\"vitrine-badge-status\">" + esc(status) +
                  "</span> <span class=\"vitrine-badge-counts\">" + esc(counts) + "</span></span>";
  return Outcome::ok(std::move(h), kTtlS);
}

const char* const kKeys[] = {"alert-list", "alert-badge", nullptr};
const MacroDef kMacros[] = {{"alert-list", &render_list}, {"alert-badge", &render_badge}};

}  // namespace

VITRINE_PC_DEFINE_PLUGIN("alert_list", "1.0.0", kKeys, kMacros)
