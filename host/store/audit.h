// The audit log (P9): append-only rows of who did what, when, in which space,
// to what, with which verdict, plus a detail JSON object. Admin actions,
// egress decisions (through StoreAuditSink) and license decisions land here.
// Rows of one space are visible only through queries for that space (P6).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "egress/policy.h"
#include "store/backend.h"
#include "store/context.h"

namespace vitrine::store {

namespace rules {
constexpr const char* kAuditWriteFailed =
    "audit-write-failed";  // an audit row could not be written
}  // namespace rules

// A detail value: text or a number; rendered as a JSON object.
struct DetailField {
  std::string key;
  std::string value;
  bool number = false;
};
using Detail = std::vector<DetailField>;
std::string detail_json(const Detail& detail);

struct AuditEvent {
  std::string who;
  std::string space;   // empty for platform-wide actions
  std::string action;  // e.g. "space.create", "token.set", "egress.fetch"
  std::string subject;
  std::string verdict;  // "ok", "error", "allow", "deny"
  Detail detail;
  // The generation of `space`; empty: record() looks up the space's current
  // id (and leaves it empty when no space has that key).
  std::string space_id = {};
};

// Whether audit writes succeed: a failed write is never silent. It is logged
// at error, counted (the runtime mirrors the count as
// vitrine_audit_write_failures_total), and makes /readyz unready with the
// reason until a later audit write succeeds. [thread-safe]
class AuditHealth {
 public:
  void failed(const Error& error);
  void succeeded();
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
  // "" while healthy, else what failed and what to do.
  std::string unready_reason() const;
  // Called after each counted failure (the runtime's metric). Set before use.
  void on_failure(std::function<void()> hook);

 private:
  std::atomic<uint64_t> failures_{0};
  std::atomic<bool> failing_{false};
  mutable std::mutex mu_;
  std::string reason_;
  std::function<void()> hook_;
};

class AuditLog {
 public:
  AuditLog(Backend& db, Clock now = system_now_ms) : db_(db), now_(std::move(now)) {}

  // Appends one row, chained to the newest (store/audit_chain.h), in one
  // write transaction (the caller's when there is one). A failure is
  // reported to health() before it is returned.
  Result<int64_t> record(const AuditEvent& event);
  AuditHealth& health() { return health_; }
  Backend& db() { return db_; }
  Result<std::vector<AuditRow>> query(const AuditQuery& q);
  // The rows of the space that has key `space` now, and none of an earlier
  // space with the same key (deleted and created again): what space admins
  // and viewers read. not_found when no such space exists.
  Result<AuditQuery> current_generation(const std::string& space);
  // One row by id within a space: a row of another space is not found.
  Result<AuditRow> get(const std::string& space, int64_t id);

 private:
  Result<int64_t> append_chained(AuditRow row);

  Backend& db_;
  Clock now_;
  AuditHealth health_;
};

// Lets the egress layer write its decisions into the audit table.
class StoreAuditSink final : public egress::AuditSink {
 public:
  explicit StoreAuditSink(AuditLog& log) : log_(log) {}
  void record(const egress::AuditRecord& r) override;  // [thread-safe]
  // Failures to write (disk full) are counted, never thrown into the fetch.
  uint64_t failures() const { return failures_; }

 private:
  AuditLog& log_;
  std::atomic<uint64_t> failures_{0};
};

}  // namespace vitrine::store

namespace vitrine::store {

// Runs an admin action and its audit row in one transaction: a successful
// action without its audit row cannot happen. When the audit row cannot be
// written (disk full), the action is rolled back and fails with an io error
// that says so [audit-write-failed]. When the action fails, a row with
// verdict "refused" and the reason is written afterwards.
Status run_audited(const Context& ctx, AuditEvent event, const std::function<Status()>& action);

}  // namespace vitrine::store
