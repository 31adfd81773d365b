#include "store/audit.h"

#include "log/log.h"
#include "store/audit_chain.h"
#include "store/json_log.h"

namespace vitrine::store {

std::string detail_json(const Detail& detail) {
  std::string out = "{";
  for (const auto& f : detail) {
    if (out.size() > 1) out += ",";
    out += json_quote(f.key) + ":" + (f.number ? f.value : json_quote(f.value));
  }
  return out + "}";
}

Result<int64_t> AuditLog::record(const AuditEvent& e) {
  AuditRow row;
  row.at_ms = now_();
  row.who = e.who;
  row.space = e.space;
  row.action = e.action;
  row.subject = e.subject;
  row.verdict = e.verdict;
  row.detail_json = detail_json(e.detail);
  row.space_id = e.space_id;
  if (row.space_id.empty() && !e.space.empty()) {
    // Inside the caller's transaction when there is one, so the id is the
    // one of the space the action saw.
    if (auto sp = db_.get_space(e.space)) row.space_id = sp->id;
  }
  auto id = append_chained(std::move(row));
  if (id) {
    health_.succeeded();
  } else {
    health_.failed(id.error());
  }
  return id;
}

Result<int64_t> AuditLog::append_chained(AuditRow row) {
  // Reading the newest link and appending must be one write transaction:
  // BEGIN IMMEDIATE orders the writers of every process, so two rows never
  // chain to the same predecessor.
  int64_t id = 0;
  Status st = db_.transaction([&]() -> Status {
    auto state = db_.audit_chain_state();
    if (!state) return state.error();
    auto last = db_.last_audit_row();
    if (!last) return last.error();
    auto next = db_.next_audit_id();
    if (!next) return next.error();
    row.id = *next;
    row.chain = audit_link(audit_previous_link(*state, *last), row);
    auto written = db_.append_audit(row);
    if (!written) return written.error();
    id = *written;
    return ok_status();
  });
  if (!st) return st.error();
  return id;
}

void AuditHealth::failed(const Error& error) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    reason_ = "[audit-write-failed] the last audit write failed: " + error.message +
              "; audited actions are refused until an audit write succeeds again";
  }
  failing_.store(true, std::memory_order_release);
  log::error("audit.write_failed", {{"error", std::string(to_string(error.code))},
                                    {"detail", error.message},
                                    {"rule", rules::kAuditWriteFailed}});
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook = hook_;
  }
  if (hook) hook();
}

void AuditHealth::succeeded() {
  // Cheap on the common path: only a recovery takes the lock.
  if (!failing_.load(std::memory_order_acquire)) return;
  failing_.store(false, std::memory_order_release);
  std::lock_guard<std::mutex> lock(mu_);
  reason_.clear();
  log::info("audit.write_recovered", {});
}

std::string AuditHealth::unready_reason() const {
  if (!failing_.load(std::memory_order_acquire)) return {};
  std::lock_guard<std::mutex> lock(mu_);
  return reason_;
}

void AuditHealth::on_failure(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hook_ = std::move(hook);
}

Result<std::vector<AuditRow>> AuditLog::query(const AuditQuery& q) { return db_.query_audit(q); }

Result<AuditQuery> AuditLog::current_generation(const std::string& space) {
  auto sp = db_.get_space(space);
  if (!sp) return sp.error();
  AuditQuery q;
  q.space = space;
  q.space_id = sp->id;
  return q;
}

Result<AuditRow> AuditLog::get(const std::string& space, int64_t id) {
  AuditQuery q;
  q.space = space;
  auto rows = db_.query_audit(q);
  if (!rows) return rows.error();
  for (auto& r : *rows) {
    if (r.id == id) return r;
  }
  return make_error(Errc::not_found,
                    "audit entry " + std::to_string(id) + " not found in space '" + space + "'");
}

void StoreAuditSink::record(const egress::AuditRecord& r) {
  AuditEvent e;
  e.who = "plugin:" + r.plugin;
  e.space = r.space;
  e.action = "egress.fetch";
  e.subject = r.url;  // already redacted by the egress layer
  e.verdict = r.verdict;
  e.detail = {{"plugin", r.plugin, false},
              {"method", r.method, false},
              {"rule", r.rule, false},
              {"http_status", std::to_string(r.http_status), true},
              {"bytes", std::to_string(r.bytes), true},
              {"ms", std::to_string(r.ms), true}};
  if (!log_.record(e)) ++failures_;
}

}  // namespace vitrine::store

namespace vitrine::store {

Status run_audited(const Context& ctx, AuditEvent event, const std::function<Status()>& action) {
  bool audit_written = false;
  Status st = ctx.db.transaction([&]() -> Status {
    Status s = action();
    if (!s) return s;
    event.verdict = "ok";
    auto id = ctx.audit.record(event);
    if (!id) {
      // The transaction rolls back: the action did not happen.
      return make_error(Errc::io,
                        "[audit-write-failed] the action was not done because its "
                        "audit row could not be written: " +
                            id.error().message);
    }
    audit_written = true;
    // Other processes on this database see the change through the feed.
    return ctx.db.bump_change_feed(false, ctx.now());
  });
  if (!st && audit_written) {
    // The row was written but its transaction did not commit (a full disk
    // at commit): it is lost with the action, which must say so.
    ctx.audit.health().failed(st.error());
    st = make_error(Errc::io,
                    "[audit-write-failed] the action was not done because its audit row could "
                    "not be committed: " +
                        st.error().message);
  }
  if (!st) {
    event.verdict = "refused";
    event.detail.push_back({"error", std::string(to_string(st.error().code)), false});
    event.detail.push_back({"reason", st.error().message, false});
    (void)ctx.audit.record(event);
  }
  // After the commit: a reader that loaded before it sees the new count
  // and drops what it loaded.
  if (ctx.changes) ctx.changes->fetch_add(1, std::memory_order_release);
  return st;
}

}  // namespace vitrine::store
