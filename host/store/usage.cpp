#include "store/usage.h"

#include <algorithm>
#include <map>

#include "egress/policy.h"
#include "egress/url.h"
#include "manifest/scope_catalog.h"
#include "store/json_log.h"
#include "store/report.h"

namespace vitrine::store {
namespace {

// Enough rows for months of a busy plugin; beyond it the report says its
// counts are a lower bound rather than reading without end.
constexpr int64_t kRowLimit = 1'000'000;

void touch(int64_t& count, int64_t& last, int64_t at) {
  ++count;
  last = std::max(last, at);
}

// Which declared entry let `url` through, as decide() picks it: the first
// entry matching host and port; otherwise the origin was an admin-bound
// customer-managed origin, attributable only when the plugin has exactly
// one customer-managed entry.
EntryUsage* entry_for(std::vector<EntryUsage>& entries, const egress::Url& url) {
  for (auto& e : entries) {
    if (egress::entry_matches(e.entry, url.host, url.port)) return &e;
  }
  EntryUsage* only = nullptr;
  for (auto& e : entries) {
    if (!e.entry.customer_managed) continue;
    if (only != nullptr) return nullptr;
    only = &e;
  }
  return only;
}

// The first declared scope (manifest order) whose prefix opens the path.
ScopeUsage* scope_for(std::vector<ScopeUsage>& scopes, const egress::Url& url) {
  const std::string target = url.target();
  for (auto& s : scopes) {
    const manifest::Scope* def = manifest::find_scope(s.scope);
    if (def == nullptr) continue;
    for (const auto& prefix : def->path_prefixes) {
      if (egress::prefix_matches(prefix, target)) return &s;
    }
  }
  return nullptr;
}

std::string since_text(int64_t since_ms) {
  return since_ms > 0 ? "since " + format_time(since_ms) : "in the whole audit log";
}

std::string last_text(int64_t ms) { return ms > 0 ? format_time(ms) : "never"; }

}  // namespace

UsageReport compute_usage(const std::vector<AuditRow>& rows, const manifest::Manifest& declared,
                          const std::optional<std::string>& space, int64_t since_ms) {
  UsageReport rep;
  rep.plugin = declared.id;
  rep.version = declared.version;
  rep.space = space;
  rep.since_ms = since_ms;
  for (const auto& id : declared.scopes) {
    const manifest::Scope* def = manifest::find_scope(id);
    rep.scopes.push_back({id, def != nullptr && !def->path_prefixes.empty(), 0, 0});
  }
  for (const auto& e : declared.egress) rep.entries.push_back({e, 0, 0, {}});

  std::map<std::pair<std::string, std::string>, RefusalCount> refusals;
  std::vector<std::map<std::string, int64_t>> hosts(rep.entries.size());
  for (const auto& r : rows) {
    if (egress_row_plugin(r) != declared.id || r.at_ms < since_ms) continue;
    if (space && r.space != *space) continue;
    ++rep.rows;
    if (r.verdict != "allow") {
      auto& c = refusals[{r.verdict, audit_detail_string(r.detail_json, "rule")}];
      c.verdict = r.verdict;
      c.rule = audit_detail_string(r.detail_json, "rule");
      ++c.count;
      if (r.at_ms >= c.last_ms) {
        c.last_ms = r.at_ms;
        c.example_url = r.subject;
      }
      continue;
    }
    // An allowed row's subject is the canonical URL with query values
    // redacted, which parses again; the path decides the scope.
    const egress::UrlResult url = egress::parse_url(r.subject);
    ScopeUsage* scope = url.ok ? scope_for(rep.scopes, url.url) : nullptr;
    EntryUsage* entry = url.ok ? entry_for(rep.entries, url.url) : nullptr;
    if (scope != nullptr) touch(scope->requests, scope->last_ms, r.at_ms);
    if (entry != nullptr) {
      touch(entry->requests, entry->last_ms, r.at_ms);
      ++hosts[static_cast<std::size_t>(entry - rep.entries.data())][url.url.origin()];
    }
    if (scope == nullptr || entry == nullptr) ++rep.unattributed;
  }

  for (std::size_t i = 0; i < rep.entries.size(); ++i) {
    for (const auto& [origin, n] : hosts[i]) rep.entries[i].hosts.push_back({origin, n});
    std::stable_sort(
        rep.entries[i].hosts.begin(), rep.entries[i].hosts.end(),
        [](const HostCount& a, const HostCount& b) { return a.requests > b.requests; });
  }
  for (auto& [key, c] : refusals) rep.refusals.push_back(std::move(c));
  std::stable_sort(rep.refusals.begin(), rep.refusals.end(),
                   [](const RefusalCount& a, const RefusalCount& b) { return a.count > b.count; });

  const std::string since = since_text(since_ms);
  for (const auto& s : rep.scopes) {
    if (s.http && s.requests == 0)
      rep.verdicts.push_back("scope " + s.scope + ": never used " + since);
  }
  for (const auto& e : rep.entries) {
    if (e.requests == 0)
      rep.verdicts.push_back("egress entry " + e.entry.text + ": never used " + since);
  }
  return rep;
}

Result<UsageReport> plugin_usage(AuditLog& log, const manifest::Manifest& declared,
                                 const std::optional<std::string>& space, int64_t since_ms) {
  AuditQuery q;
  q.space = space;
  q.since_ms = since_ms;
  q.action_prefix = "egress.fetch";
  q.limit = kRowLimit;
  auto rows = log.query(q);
  if (!rows) return rows.error();
  UsageReport rep = compute_usage(*rows, declared, space, since_ms);
  rep.truncated = static_cast<int64_t>(rows->size()) >= kRowLimit;
  return rep;
}

std::string format_usage_text(const UsageReport& rep) {
  std::string out = "plugin " + rep.plugin + " " + rep.version + ", " +
                    (rep.space ? "space " + *rep.space : std::string("all spaces")) + ", " +
                    since_text(rep.since_ms) + ": " + std::to_string(rep.rows) +
                    " egress audit rows\n";
  if (rep.truncated) out += "note: the row limit was reached; counts are a lower bound\n";
  out += "\nscopes (declared -> allowed requests whose path it opened):\n";
  if (rep.scopes.empty()) out += "  (none declared)\n";
  for (const auto& s : rep.scopes) {
    if (!s.http) {
      out += "  " + s.scope + "  not visible in the egress audit (it opens no Grafana path)\n";
      continue;
    }
    out += "  " + s.scope + "  " + std::to_string(s.requests) + " requests, last " +
           last_text(s.last_ms) + (s.requests == 0 ? "  UNUSED" : "") + "\n";
  }
  out += "\negress entries (declared -> hosts reached through it):\n";
  if (rep.entries.empty()) out += "  (none declared)\n";
  for (const auto& e : rep.entries) {
    out += "  " + e.entry.text + (e.entry.customer_managed ? " (customer-managed)" : "") + "  " +
           std::to_string(e.requests) + " requests, last " + last_text(e.last_ms) +
           (e.requests == 0 ? "  UNUSED" : "") + "\n";
    for (const auto& h : e.hosts) {
      out += "    " + h.origin + "  " + std::to_string(h.requests) + "\n";
    }
  }
  if (rep.unattributed > 0) {
    out += "\n" + std::to_string(rep.unattributed) +
           " allowed requests are not explained by these declared permissions (allowed under an "
           "earlier version's)\n";
  }
  out += "\nrefused or failed requests (by rule):\n";
  if (rep.refusals.empty()) out += "  (none)\n";
  for (const auto& c : rep.refusals) {
    out += "  " + c.verdict + " " + c.rule + "  " + std::to_string(c.count) + ", e.g. " +
           c.example_url + "\n";
  }
  out += "\n";
  if (rep.verdicts.empty()) out += "every declared scope and egress entry was used\n";
  for (const auto& v : rep.verdicts) out += v + "\n";
  return out;
}

std::string format_usage_json(const UsageReport& rep) {
  auto time_or_null = [](int64_t ms) { return ms > 0 ? json_quote(format_time(ms)) : "null"; };
  std::string out =
      "{\"plugin\":" + json_quote(rep.plugin) + ",\"version\":" + json_quote(rep.version) +
      ",\"space\":" + (rep.space ? json_quote(*rep.space) : "null") +
      ",\"since\":" + time_or_null(rep.since_ms) + ",\"rows\":" + std::to_string(rep.rows) +
      ",\"truncated\":" + (rep.truncated ? "true" : "false") + ",\"scopes\":[";
  for (std::size_t i = 0; i < rep.scopes.size(); ++i) {
    const auto& s = rep.scopes[i];
    out += std::string(i ? "," : "") + "{\"scope\":" + json_quote(s.scope) +
           ",\"visible\":" + (s.http ? "true" : "false") +
           ",\"requests\":" + std::to_string(s.requests) + ",\"last\":" + time_or_null(s.last_ms) +
           ",\"used\":" + (s.requests > 0 ? "true" : "false") + "}";
  }
  out += "],\"egress\":[";
  for (std::size_t i = 0; i < rep.entries.size(); ++i) {
    const auto& e = rep.entries[i];
    out += std::string(i ? "," : "") + "{\"entry\":" + json_quote(e.entry.text) +
           ",\"customer_managed\":" + (e.entry.customer_managed ? "true" : "false") +
           ",\"requests\":" + std::to_string(e.requests) + ",\"last\":" + time_or_null(e.last_ms) +
           ",\"used\":" + (e.requests > 0 ? "true" : "false") + ",\"hosts\":[";
    for (std::size_t j = 0; j < e.hosts.size(); ++j) {
      out += std::string(j ? "," : "") + "{\"origin\":" + json_quote(e.hosts[j].origin) +
             ",\"requests\":" + std::to_string(e.hosts[j].requests) + "}";
    }
    out += "]}";
  }
  out += "],\"unattributed\":" + std::to_string(rep.unattributed) + ",\"refusals\":[";
  for (std::size_t i = 0; i < rep.refusals.size(); ++i) {
    const auto& c = rep.refusals[i];
    out += std::string(i ? "," : "") + "{\"verdict\":" + json_quote(c.verdict) +
           ",\"rule\":" + json_quote(c.rule) + ",\"count\":" + std::to_string(c.count) +
           ",\"example_url\":" + json_quote(c.example_url) +
           ",\"last\":" + time_or_null(c.last_ms) + "}";
  }
  out += "],\"verdicts\":[";
  for (std::size_t i = 0; i < rep.verdicts.size(); ++i) {
    out += std::string(i ? "," : "") + json_quote(rep.verdicts[i]);
  }
  return out + "]}\n";
}

}  // namespace vitrine::store
