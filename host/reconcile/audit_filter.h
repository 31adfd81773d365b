// The audit view's filters, shared by `vitrine audit`, GET /api/v1/audit,
// GET /api/v1/spaces/{space}/audit and the console's Audit page, so the
// three read the same rows in the same order: newest first, at most
// `limit`, optionally older than `before` (paging). Each front end only
// collects the texts; this file checks them and says what is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/backend.h"
#include "store/result.h"

namespace vitrine::reconcile {

inline constexpr int64_t kAuditMaxLimit = 100000;

struct AuditFilter {
  std::string space;   // a space key: rows of every space that had it
  std::string actor;   // exact `who`, e.g. ui:tok_... or local:root
  std::string action;  // an action or its prefix: "space." or "plugin.approve"
  std::string since;   // 2024-05-01, 2024-05-01T10:42:00Z or 30m / 24h / 7d (inclusive)
  std::string until;   // the same forms (exclusive)
  std::string limit;   // 1..100000; empty: default_limit
  std::string before;  // a row id: only older rows (the next page)
};

// The query the filter names, newest first. invalid with the field and the
// accepted forms when a value is malformed.
store::Result<store::AuditQuery> audit_query(const AuditFilter& filter, int64_t default_limit,
                                             int64_t now_ms);

// The rows as a Markdown table (when, who, space, action, subject, verdict),
// in the given order, with a heading naming the filter; '|' and line breaks
// in values are escaped so a row stays one table row.
std::string format_audit_md_table(const std::vector<store::AuditRow>& rows,
                                  const AuditFilter& filter, int64_t generated_at_ms);

}  // namespace vitrine::reconcile
