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

std::string format_audit_text(const std::vector<AuditRow>& rows);
std::string format_audit_json(const std::vector<AuditRow>& rows);
std::string format_review_md(const std::vector<AuditRow>& rows,
                             const std::vector<ApprovalRow>& approvals,
                             const std::optional<std::string>& space, int64_t generated_at_ms);

}  // namespace vitrine::store
