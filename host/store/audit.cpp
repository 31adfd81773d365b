#include "store/audit.h"

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
  return db_.append_audit(row);
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
  Status st = ctx.db.transaction([&]() -> Status {
    Status s = action();
    if (!s) return s;
    event.verdict = "ok";
    auto id = ctx.audit.record(event);
    if (!id) return id.error();
    // Other processes on this database see the change through the feed.
    return ctx.db.bump_change_feed(false, ctx.now());
  });
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
