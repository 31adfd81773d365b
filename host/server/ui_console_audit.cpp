// Console: Audit. Every space's audit rows, newest first, filtered by space,
// actor, action and time (reconcile/audit_filter.h, as `vitrine audit` and
// GET /api/v1/audit), 50 a page with a link to the older rows, exported as
// JSON or as a Markdown table with the same filter.
#include "reconcile/audit_filter.h"
#include "server/audit_params.h"
#include "server/ui_console.h"
#include "store/report.h"

namespace vitrine::server::console {
namespace {

constexpr const char* kPage = "/admin/audit";
constexpr int64_t kPageRows = 50;

std::string url_encode(const std::string& v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The filter as a query string (without `before` when `with_before` is off).
std::string query_of(const reconcile::AuditFilter& f, bool with_before) {
  const std::pair<const char*, const std::string*> fields[] = {
      {"space", &f.space}, {"actor", &f.actor}, {"action", &f.action},
      {"since", &f.since}, {"until", &f.until}, {"before", &f.before}};
  std::string q;
  for (const auto& [name, value] : fields) {
    if (value->empty() || (!with_before && std::string(name) == "before")) continue;
    q += (q.empty() ? "" : "&") + std::string(name) + "=" + url_encode(*value);
  }
  return q;
}

std::string filter_form(const reconcile::AuditFilter& f) {
  return "<form method=\"get\" action=\"/admin/audit\" class=\"filters\" role=\"search\">" +
         std::string("<div>") + text_field("space", "Space", f.space) + "</div><div>" +
         text_field("actor", "Actor", f.actor, "placeholder=\"ui:t0123abcd\"") + "</div><div>" +
         text_field("action", "Action (or prefix)", f.action, "placeholder=\"space.\"") +
         "</div><div>" +
         text_field("since", "Since", f.since, "placeholder=\"2024-05-01 or 24h\"") +
         "</div><div>" +
         text_field("until", "Until", f.until, "placeholder=\"2024-05-02T00:00:00Z\"") +
         "</div><div><button type=\"submit\">Filter</button></div></form>";
}

std::string rows_table(const std::vector<store::AuditRow>& rows) {
  std::string h =
      "<table class=\"audit\"><thead><tr><th>Id</th><th>When</th><th>Who</th><th>Space</th>"
      "<th>Action</th><th>Subject</th><th>Verdict</th></tr></thead><tbody>";
  for (const auto& r : rows) {
    h += "<tr data-id=\"" + std::to_string(r.id) + "\"><td>" + std::to_string(r.id) + "</td><td>" +
         ui::esc(store::format_time(r.at_ms)) + "</td><td>" + ui::esc(r.who) + "</td><td>" +
         ui::esc(r.space) + "</td><td>" + ui::esc(r.action) + "</td><td>" + ui::esc(r.subject) +
         "</td><td>" + ui::esc(r.verdict) + "</td></tr>";
  }
  return h + "</tbody></table>";
}

}  // namespace

void add_console_audit_routes(Router& router, ServerContext& ctx) {
  router.add("GET", kPage, [&ctx](Request& req) {
    auto page = open_page(ctx, req, store::Action::space_list, "Audit");
    if (auto* r = std::get_if<Response>(&page)) return std::move(*r);
    auto& call = std::get<PageCall>(page);
    auto f = audit_filter_of(req);
    f.limit.clear();  // a page is kPageRows; exports take `limit`
    std::string h =
        "<h1>Audit log</h1><p class=\"muted\">Every space's rows, newest first. The same "
        "filters: <code>vitrine audit --space S --actor A --action X --since T --until T</code> "
        "and <code>GET /api/v1/audit</code>.</p>" +
        filter_form(f);
    auto q = reconcile::audit_query(f, kPageRows, store::system_now_ms());
    if (!q) {
      h += "<p class=\"flash error\" role=\"alert\">Cannot filter: " + ui::esc(q.error().message) +
           "</p>";
      call.shell.body_html = h;
      return ui::page(400, call.shell);
    }
    auto rows = ctx.runtime.store().audit().query(*q);
    if (!rows) return ui::error_page(500, "Cannot read the audit log", rows.error().message);
    const std::string export_q = query_of(f, false);
    h += "<p>Export these filters: <a href=\"/admin/audit/export?format=json" +
         std::string(export_q.empty() ? "" : "&amp;" + ui::esc(export_q)) +
         "\" download>JSON</a> · <a href=\"/admin/audit/export?format=md-table" +
         (export_q.empty() ? "" : "&amp;" + ui::esc(export_q)) + "\" download>Markdown</a></p>";
    if (rows->empty()) {
      h += "<p data-rows=\"0\">No audit rows match.</p>";
    } else {
      h += rows_table(*rows);
      if (static_cast<int64_t>(rows->size()) == kPageRows) {
        auto next = f;
        next.before = std::to_string(rows->back().id);
        h += "<p><a rel=\"next\" href=\"/admin/audit?" + ui::esc(query_of(next, true)) +
             "\">Older rows</a></p>";
      }
    }
    call.shell.body_html = h;
    return ui::page(200, call.shell);
  });

  router.add("GET", "/admin/audit/export", [&ctx](Request& req) {
    auto auth = authorize(ctx, req, Credentials::browser, store::Action::space_list, "");
    if (!auth.caller) return auth.refusal;
    const auto f = audit_filter_of(req);
    const std::string format = req.query_param("format").value_or("json");
    if (format != "json" && format != "md-table") {
      return ui::error_page(400, "Unknown export format", "Use format=json or format=md-table.");
    }
    const int64_t now = store::system_now_ms();
    auto q = reconcile::audit_query(f, reconcile::kAuditMaxLimit, now);
    if (!q) return ui::error_page(400, "Cannot filter", q.error().message);
    auto rows = ctx.runtime.store().audit().query(*q);
    if (!rows) return ui::error_page(500, "Cannot read the audit log", rows.error().message);
    Response r;
    if (format == "json") {
      r = json_response(200, store::format_audit_json(*rows));
      r.set_header("Content-Disposition", "attachment; filename=\"vitrine-audit.json\"");
    } else {
      r = text_response(200, reconcile::format_audit_md_table(*rows, f, now));
      r.content_type = "text/markdown; charset=utf-8";
      r.set_header("Content-Disposition", "attachment; filename=\"vitrine-audit.md\"");
    }
    r.set_header("Cache-Control", "no-store");
    return r;
  });
}

}  // namespace vitrine::server::console
