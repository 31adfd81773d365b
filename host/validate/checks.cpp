#include "validate/checks.h"

#include <algorithm>

#include "egress/url.h"
#include "manifest/scope_catalog.h"

namespace vitrine::validate {
namespace {

// The worker runner's refusals all carry a "worker-" rule; its status
// says which kind (host/worker/worker_runner.cpp): E_TIMEOUT the render
// outlived its deadline, E_TOO_LARGE its memory limit, anything else a
// crash, a protocol break or a worker that could not be (re)started.
bool from_worker(const std::string& rule) { return rule.rfind("worker-", 0) == 0; }

// The sentence plugins::render_macro (host/plugins/invoke.cpp) puts in
// place of a reason the plugin did not give: the page still gets a reason,
// but the plugin broke ABI-5 and its author must hear about it.
bool host_substituted_reason(const std::string& error) {
  static const std::string head = "plugin failed with status ";
  static const std::string tail = " and gave no reason";
  return error.rfind(head, 0) == 0 && error.size() >= head.size() + tail.size() &&
         error.compare(error.size() - tail.size(), tail.size(), tail) == 0;
}

bool prefix_matches(const std::string& path, const std::string& prefix) {
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/' || path[prefix.size()] == '?';
}

bool host_matches(const manifest::EgressEntry& e, const egress::Url& u) {
  if (e.port != u.port) return false;
  if (!e.wildcard) return u.host == e.host;
  return u.host.size() > e.host.size() + 1 &&
         u.host.compare(u.host.size() - e.host.size(), e.host.size(), e.host) == 0 &&
         u.host[u.host.size() - e.host.size() - 1] == '.';
}

// The path of a request URL for a finding: never the query, which may
// carry values the page author typed.
std::string path_of(const std::string& url) {
  auto parsed = egress::parse_url(url);
  if (parsed.ok) return parsed.url.origin() + parsed.url.path;
  auto q = url.find('?');
  return q == std::string::npos ? url : url.substr(0, q);
}

std::string stripped_text(const Stripped& s) {
  std::string what;
  if (!s.attribute.empty()) {
    what = "attribute '" + s.attribute + "' of <" + s.element + ">";
  } else if (!s.element.empty()) {
    what = "<" + s.element + ">";
  } else {
    what = "content";
  }
  return what + " [" + s.rule + "]";
}

}  // namespace

const char* to_string(Level level) {
  switch (level) {
    case Level::pass:
      return "PASS";
    case Level::warn:
      return "WARN";
    case Level::fail:
      return "FAIL";
  }
  return "?";
}

std::vector<Finding> check_render(const Case& c, const Observation& o, int64_t deadline_ms) {
  std::vector<Finding> out;
  const auto& r = o.output;
  const bool failed = r.status != VITRINE_OK;
  const std::string status = plugins::status_name(r.status);

  if (c.kind == CaseKind::invalid) {
    // The host must refuse the value with a rule before the plugin runs;
    // a plugin that was called would have had the chance to fetch.
    if (!failed || r.rule.empty()) {
      out.push_back({Level::fail, "param-validation",
                     "the host's parameter validation did not refuse this value (status " + status +
                         ", rule '" + r.rule +
                         "'); the manifest's parameter declaration should exclude it"});
    } else if (r.rule.rfind("param-", 0) != 0 && r.rule != "time-range") {
      out.push_back({Level::fail, "param-validation",
                     "expected a param-* refusal, got [" + r.rule + "]: " + r.error});
    }
    if (!o.requests.empty()) {
      out.push_back({Level::fail, "param-validation",
                     "the plugin ran and made " + std::to_string(o.requests.size()) +
                         " request(s) for a value the host refuses"});
    }
    return out;
  }

  if (from_worker(r.rule) && r.status == VITRINE_E_TIMEOUT) {
    out.push_back({Level::fail, "deadline",
                   "the render did not finish within the " + std::to_string(deadline_ms) +
                       " ms deadline and the worker was stopped [" + r.rule +
                       "]; return when a capability call reports VITRINE_E_TIMEOUT and do not "
                       "loop past the deadline"});
  } else if (from_worker(r.rule) && r.status == VITRINE_E_TOO_LARGE) {
    out.push_back({Level::fail, "memory", r.error + " [" + r.rule + "]"});
  } else if (from_worker(r.rule)) {
    out.push_back({Level::fail, "crash", "the plugin crashed [" + r.rule + "]: " + r.error});
  }
  if (failed && (r.error.empty() || host_substituted_reason(r.error))) {
    out.push_back({Level::fail, "reason",
                   "the render failed with status " + status +
                       " and an empty reason; every failure needs a reason a reader can act on "
                       "(plugin-abi.md, ABI-5)"});
  }
  if (r.html_truncated) {
    out.push_back({Level::fail, "markup",
                   "the plugin wrote more HTML than the host accepts; the output was cut"});
  }
  for (const auto& q : o.requests) {
    if (q.status == VITRINE_E_DENIED) {
      out.push_back({Level::fail, "egress",
                     "GET " + path_of(q.url) + " was denied [" + q.rule + "]: " + q.reason});
    } else if (q.status == VITRINE_E_INVALID) {
      out.push_back(
          {Level::fail, "egress", "a malformed http request struct was refused: " + q.reason});
    } else if (q.status != VITRINE_OK && q.reason.empty()) {
      out.push_back({Level::fail, "reason",
                     "the http capability failed with status " +
                         std::string(plugins::status_name(q.status)) + " and an empty reason"});
    }
  }
  if (!failed && o.stripped_total > 0) {
    // Each distinct removal once, with how often it happened.
    std::vector<std::pair<std::string, int>> seen;
    for (const auto& s : o.stripped) {
      const std::string text = stripped_text(s);
      auto it =
          std::find_if(seen.begin(), seen.end(), [&](const auto& e) { return e.first == text; });
      if (it == seen.end()) {
        seen.push_back({text, 1});
      } else {
        ++it->second;
      }
    }
    std::string list;
    for (const auto& [text, n] : seen) {
      list += (list.empty() ? "" : ", ") + text + (n > 1 ? " x" + std::to_string(n) : "");
    }
    if (o.stripped_total > o.stripped.size()) {
      list += " and " + std::to_string(o.stripped_total - o.stripped.size()) + " more";
    }
    out.push_back(
        {Level::warn, "markup",
         "the sanitizer removed " + list + "; emit only markup docs/security/sanitizer.md allows"});
  }
  if (failed && c.kind == CaseKind::defaults && out.empty()) {
    out.push_back({Level::warn, "defaults",
                   "the render failed against a healthy Grafana (" + status + "): " + r.error});
  }
  return out;
}

void record_usage(const manifest::Manifest& m, const std::vector<Request>& requests, Usage& usage) {
  for (const auto& q : requests) {
    if (q.status == VITRINE_E_DENIED || q.status == VITRINE_E_INVALID) continue;
    auto parsed = egress::parse_url(q.url);
    if (!parsed.ok) continue;
    for (const auto& id : m.scopes) {
      const auto* scope = manifest::find_scope(id);
      if (scope == nullptr) continue;
      for (const auto& prefix : scope->path_prefixes) {
        if (prefix_matches(parsed.url.path, prefix)) usage.scopes.insert(id);
      }
    }
    for (const auto& e : m.egress) {
      if (host_matches(e, parsed.url)) usage.egress.insert(e.text);
    }
  }
}

std::vector<Finding> check_unused(const manifest::Manifest& m, const Usage& usage,
                                  const std::string& manifest_name) {
  std::vector<Finding> out;
  for (const auto& id : m.scopes) {
    if (usage.scopes.count(id) != 0) continue;
    out.push_back({Level::warn, "unused-scope",
                   "scope '" + id + "' is declared but no render used it; remove it from " +
                       manifest_name + " so admins approve only what the plugin needs"});
  }
  for (const auto& e : m.egress) {
    if (usage.egress.count(e.text) != 0) continue;
    out.push_back({Level::warn, "unused-egress",
                   "egress entry '" + e.text +
                       "' is declared but no render used it; remove it from " + manifest_name +
                       " so admins approve only what the plugin needs"});
  }
  return out;
}

}  // namespace vitrine::validate
