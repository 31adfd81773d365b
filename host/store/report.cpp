#include "store/report.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <ctime>
#include <map>
#include <set>
#include <tuple>

#include "store/approvals.h"
#include "store/json_log.h"

namespace vitrine::store {
namespace {

std::string md_cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (c == '`') {
      out += '\'';
    } else {
      out += c;
    }
  }
  return out;
}

// The identity the runtime gives its own connection test (the settings
// page's "Test connection" and `vitrine spaces test`, runtime.cpp): one
// GET /api/search?limit=1 to the space's own Grafana origin. It is the host,
// not a plugin, so it has no approval and is reported on its own.
constexpr std::string_view kHostConnectionTest = "vitrine-host";

std::string fetch_table(const std::map<std::tuple<std::string, std::string, std::string>, int>& f) {
  std::string out = "| verdict | URL (query values redacted) | rule | count |\n|---|---|---|---|\n";
  for (const auto& [k, n] : f) {
    out += "| " + md_cell(std::get<0>(k)) + " | " + md_cell(std::get<1>(k)) + " | " +
           md_cell(std::get<2>(k)) + " | " + std::to_string(n) + " |\n";
  }
  return out + "\n";
}

}  // namespace

std::string audit_detail_string(const std::string& json, const std::string& key) {
  try {
    Poco::JSON::Parser p;
    auto o = p.parse(json).extract<Poco::JSON::Object::Ptr>();
    if (o->has(key)) return o->get(key).convert<std::string>();
  } catch (const std::exception&) {
  }
  return {};
}

std::string egress_row_plugin(const AuditRow& r) {
  if (r.action != "egress.fetch") return {};
  return r.who.rfind("plugin:", 0) == 0 ? r.who.substr(7) : r.who;
}

std::string format_time(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<int64_t> parse_since(std::string_view text, int64_t now_ms) {
  const auto bad = make_error(Errc::invalid, "--since '" + std::string(text.substr(0, 40)) +
                                                 "' is not understood; use 2024-05-01, "
                                                 "2024-05-01T10:42:00Z, or an age like 30m, "
                                                 "24h, 7d");
  if (text.empty()) return bad;
  struct Unit {
    char suffix;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{'m', 60'000}, {'h', 3'600'000}, {'d', 86'400'000}};
  for (const auto& u : kUnits) {
    if (text.back() != u.suffix) continue;
    std::string_view num = text.substr(0, text.size() - 1);
    if (num.empty() || num.size() > 6 || num.find_first_not_of("0123456789") != num.npos) {
      return bad;
    }
    return now_ms - std::stoll(std::string(num)) * u.ms;
  }
  std::tm tm{};
  std::string s(text);
  const char* end = nullptr;
  if (s.size() == 10) {
    end = strptime(s.c_str(), "%Y-%m-%d", &tm);
  } else {
    end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  }
  if (end == nullptr || *end != '\0') return bad;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string format_audit_text(const std::vector<AuditRow>& rows) {
  std::string out;
  for (const auto& r : rows) {
    // space@id: the generation of the space (a deleted space's key can be
    // created again; the id tells the two apart).
    out += format_time(r.at_ms) + "  #" + std::to_string(r.id) + "  " +
           (r.space.empty() ? "-" : r.space) + (r.space_id.empty() ? "" : "@" + r.space_id) + "  " +
           r.who + "  " + r.action + "  " + r.subject + "  " + r.verdict + "  " + r.detail_json +
           "\n";
  }
  return out;
}

std::string format_audit_json(const std::vector<AuditRow>& rows) {
  std::string out = "[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    out += (i ? ",\n " : "\n ");
    out += "{\"id\":" + std::to_string(r.id) + ",\"at\":" + json_quote(format_time(r.at_ms)) +
           ",\"at_ms\":" + std::to_string(r.at_ms) + ",\"who\":" + json_quote(r.who) +
           ",\"space\":" + json_quote(r.space) + ",\"space_id\":" + json_quote(r.space_id) +
           ",\"action\":" + json_quote(r.action) + ",\"subject\":" + json_quote(r.subject) +
           ",\"verdict\":" + json_quote(r.verdict) +
           ",\"detail\":" + (r.detail_json.empty() ? "{}" : r.detail_json) + "}";
  }
  return out + (rows.empty() ? "]\n" : "\n]\n");
}

std::string format_review_md(const std::vector<AuditRow>& rows,
                             const std::vector<ApprovalRow>& approvals,
                             const std::optional<std::string>& space, int64_t generated_at_ms) {
  std::string out = "# Vitrine security review\n\n";
  out += "- Generated: " + format_time(generated_at_ms) + "\n";
  out +=
      "- Scope: " + (space ? "space `" + md_cell(*space) + "`" : std::string("all spaces")) + "\n";
  out += "- Audit rows considered: " + std::to_string(rows.size()) + "\n\n";

  std::set<std::string> plugins;
  std::map<std::string, std::vector<const ApprovalRow*>> by_plugin;
  for (const auto& a : approvals) {
    plugins.insert(a.plugin_id);
    by_plugin[a.plugin_id].push_back(&a);
  }
  // plugin -> (verdict, url, rule) -> count
  std::map<std::string, std::map<std::tuple<std::string, std::string, std::string>, int>> fetched;
  std::map<std::string, int> admin_actions;
  for (const auto& r : rows) {
    if (r.action == "egress.fetch") {
      std::string plugin = egress_row_plugin(r);
      // An approved plugin that happens to use the id stays a plugin.
      if (plugin != kHostConnectionTest || by_plugin.count(plugin) != 0) plugins.insert(plugin);
      ++fetched[plugin][{r.verdict, r.subject, audit_detail_string(r.detail_json, "rule")}];
    } else {
      ++admin_actions[r.action + " (" + r.verdict + ")"];
    }
  }
  if (plugins.empty()) out += "No plugin has been approved or has fetched anything.\n\n";
  for (const auto& id : plugins) {
    out += "## Plugin `" + md_cell(id) + "`\n\n";
    auto it = by_plugin.find(id);
    if (it == by_plugin.end()) {
      out += "**Not approved.** It appears in the egress log only.\n\n";
    } else {
      const ApprovalRow& latest = *it->second.back();
      auto perms = parse_permissions_json(latest.permissions_json);
      out += "### Declared permissions (approved version " + md_cell(latest.version) + ")\n\n";
      if (perms) {
        out += "Scopes:\n\n";
        for (const auto& s : perms->scopes) out += "- `" + md_cell(s) + "`\n";
        if (perms->scopes.empty()) out += "- (none)\n";
        out += "\nEgress:\n\n";
        for (const auto& e : perms->egress) {
          out += "- `" + md_cell(e.text) + "`" + (e.customer_managed ? " (customer-managed)" : "") +
                 "\n";
        }
        if (perms->egress.empty()) out += "- (none)\n";
      }
      out +=
          "\n### Approvals\n\n| version | approved at | by | permissions sha256 |\n"
          "|---|---|---|---|\n";
      for (const auto* a : it->second) {
        out += "| " + md_cell(a->version) + " | " + format_time(a->approved_at_ms) + " | " +
               md_cell(a->approved_by) + " | `" + a->permissions_hash.substr(0, 16) + "` |\n";
      }
      out += "\n";
    }
    out += "### What it fetched\n\n";
    auto f = fetched.find(id);
    if (f == fetched.end()) {
      out += "No egress recorded.\n\n";
      continue;
    }
    out += fetch_table(f->second);
  }
  if (auto host = fetched.find(std::string(kHostConnectionTest));
      host != fetched.end() && plugins.count(host->first) == 0) {
    out +=
        "## The host's connection test\n\n"
        "Requests the host made itself when an admin tested a space's Grafana connection (the "
        "space-settings page or `vitrine spaces test`): `GET /api/search?limit=1` to the space's "
        "own Grafana origin with its token. No plugin was involved; no approval applies.\n\n";
    out += fetch_table(host->second);
  }
  out += "## Admin actions\n\n";
  if (admin_actions.empty()) out += "None recorded.\n";
  for (const auto& [a, n] : admin_actions)
    out += "- " + md_cell(a) + ": " + std::to_string(n) + "\n";
  return out;
}

}  // namespace vitrine::store
