// Audit output for `vitrine audit`: text (one line per row), json (an array
// of row objects) and md (a security-review report: per plugin its declared
// egress and scopes, its approvals, and what it actually fetched).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/backend.h"
#include "store/result.h"

namespace vitrine::store {

std::string format_time(int64_t ms);  // 2024-05-01T10:42:00Z
// Accepts 2024-05-01, 2024-05-01T10:42:00Z, or a relative age 30m / 24h / 7d.
Result<int64_t> parse_since(std::string_view text, int64_t now_ms);

// Per-plugin readers of egress audit rows, shared by the review report and
// the least-privilege report (store/usage.h): the plugin an "egress.fetch"
// row belongs to (empty for any other row), and one member of a row's
// detail JSON as text (empty when absent or unreadable).
std::string egress_row_plugin(const AuditRow& row);
std::string audit_detail_string(const std::string& detail_json, const std::string& key);

std::string format_audit_text(const std::vector<AuditRow>& rows);
std::string format_audit_json(const std::vector<AuditRow>& rows);
std::string format_review_md(const std::vector<AuditRow>& rows,
                             const std::vector<ApprovalRow>& approvals,
                             const std::optional<std::string>& space, int64_t generated_at_ms);

}  // namespace vitrine::store
