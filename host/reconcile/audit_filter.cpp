#include "reconcile/audit_filter.h"

#include <charconv>

#include "store/report.h"

namespace vitrine::reconcile {
namespace {

store::Result<int64_t> number(const std::string& text, const char* field, int64_t max) {
  int64_t v = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || v < 1 || v > max) {
    return store::make_error(
        store::Errc::invalid,
        std::string("'") + field + "' must be a number from 1 to " + std::to_string(max));
  }
  return v;
}

store::Result<int64_t> time_of(const std::string& text, const char* field, int64_t now_ms) {
  auto t = store::parse_since(text, now_ms);
  if (!t) {
    return store::make_error(store::Errc::invalid, std::string("'") + field +
                                                       "' must be a date (2024-05-01), a time "
                                                       "(2024-05-01T10:42:00Z) or an age (30m, "
                                                       "24h, 7d); got '" +
                                                       text.substr(0, 64) + "'");
  }
  return *t;
}

std::string cell(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out.empty() ? "-" : out;
}

}  // namespace

store::Result<store::AuditQuery> audit_query(const AuditFilter& f, int64_t default_limit,
                                             int64_t now_ms) {
  store::AuditQuery q;
  q.newest_first = true;
  q.limit = default_limit;
  if (!f.space.empty()) q.space = f.space;
  if (!f.actor.empty()) q.who = f.actor;
  if (!f.action.empty()) q.action_prefix = f.action;
  if (!f.since.empty()) {
    auto t = time_of(f.since, "since", now_ms);
    if (!t) return t.error();
    q.since_ms = *t;
  }
  if (!f.until.empty()) {
    auto t = time_of(f.until, "until", now_ms);
    if (!t) return t.error();
    q.until_ms = *t;
  }
  if (!f.limit.empty()) {
    auto n = number(f.limit, "limit", kAuditMaxLimit);
    if (!n) return n.error();
    q.limit = *n;
  }
  if (!f.before.empty()) {
    auto n = number(f.before, "before", INT64_MAX);
    if (!n) return n.error();
    q.before_id = *n;
  }
  return q;
}

std::string format_audit_md_table(const std::vector<store::AuditRow>& rows, const AuditFilter& f,
                                  int64_t generated_at_ms) {
  std::string out = "# Audit log\n\n";
  out += "- Generated: " + store::format_time(generated_at_ms) + "\n";
  const std::pair<const char*, const std::string*> fields[] = {
      {"space", &f.space}, {"actor", &f.actor}, {"action", &f.action},
      {"since", &f.since}, {"until", &f.until}, {"before id", &f.before}};
  std::string filter;
  for (const auto& [name, value] : fields) {
    if (!value->empty()) filter += (filter.empty() ? "" : ", ") + std::string(name) + " " + *value;
  }
  out += "- Filter: " + (filter.empty() ? std::string("none") : cell(filter)) + "\n";
  out += "- Rows: " + std::to_string(rows.size()) + ", newest first\n\n";
  out += "| id | when | who | space | action | subject | verdict |\n";
  out += "|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    out += "| " + std::to_string(r.id) + " | " + store::format_time(r.at_ms) + " | " + cell(r.who) +
           " | " + cell(r.space) + " | " + cell(r.action) + " | " + cell(r.subject) + " | " +
           cell(r.verdict) + " |\n";
  }
  return out;
}

}  // namespace vitrine::reconcile
