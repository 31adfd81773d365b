// The least-privilege report (`vitrine plugins usage`, GET
// /api/v1/plugins/{id}/usage): a plugin's declared scopes and egress entries
// set against what the audit log shows it used, so a platform admin can
// narrow an approval and a plugin author learns which permission is never
// exercised.
//
// The egress audit rows (action "egress.fetch", written by StoreAuditSink)
// carry the redacted URL, the verdict and the rule, not which scope or entry
// allowed the request. The report recomputes that attribution the way
// egress::decide() does: the first declared scope (in manifest order) with a
// path prefix that matches the URL's path, and the first declared entry whose
// host and port match; a host no entry matches was reached through an
// admin-bound customer-managed entry. Allowed requests the declared
// permissions do not explain (an earlier version's permissions) are counted
// as unattributed, never silently dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "store/audit.h"
#include "store/backend.h"

namespace vitrine::store {

struct ScopeUsage {
  std::string scope;
  bool http = true;      // false: the scope opens no Grafana path (storage:*), so
                         // the egress audit cannot show its use
  int64_t requests = 0;  // allowed requests whose path this scope opened
  int64_t last_ms = 0;   // 0: never
};

struct HostCount {
  std::string origin;  // https://HOST[:PORT]
  int64_t requests = 0;
};

struct EntryUsage {
  manifest::EgressEntry entry;
  int64_t requests = 0;  // allowed requests through this entry
  int64_t last_ms = 0;
  std::vector<HostCount> hosts;  // the origins reached through it, most used first
};

// Denied (and policy-allowed but failed, verdict "error") requests, per
// verdict and rule.
struct RefusalCount {
  std::string verdict;  // deny | error
  std::string rule;
  int64_t count = 0;
  std::string example_url;  // the latest such URL, query values redacted
  int64_t last_ms = 0;
};

struct UsageReport {
  std::string plugin;
  std::string version;  // of the declaration the rows are compared with
  std::optional<std::string> space;
  int64_t since_ms = 0;                // 0: the whole audit log
  int64_t rows = 0;                    // egress rows of this plugin considered
  bool truncated = false;              // the row limit was reached; counts are a lower bound
  std::vector<ScopeUsage> scopes;      // declared order
  std::vector<EntryUsage> entries;     // declared order
  std::vector<RefusalCount> refusals;  // most frequent first
  int64_t unattributed = 0;            // allowed requests no declared scope opens
  // "scope X: never used since T", "egress entry Y: never used since T".
  std::vector<std::string> verdicts;
};

// The report over `rows` (any rows; only this plugin's egress.fetch rows
// count, and only those at or after since_ms). Pure: the unit under test.
UsageReport compute_usage(const std::vector<AuditRow>& rows, const manifest::Manifest& declared,
                          const std::optional<std::string>& space, int64_t since_ms);

// Reads the egress rows (every generation of the space key `space`, or all
// spaces) and computes the report.
Result<UsageReport> plugin_usage(AuditLog& log, const manifest::Manifest& declared,
                                 const std::optional<std::string>& space, int64_t since_ms);

std::string format_usage_text(const UsageReport& report);
std::string format_usage_json(const UsageReport& report);

}  // namespace vitrine::store
