// The audit log over the JSON API (P9), newest first, with the filters of
// reconcile/audit_filter.h (actor, action, since, until, limit, before) and
// three formats: json (rows), md-table (rows as a Markdown table) and md (the
// security-review report).
//   GET /api/v1/audit                  platform admins: every space, ?space=
//   GET /api/v1/spaces/{space}/audit   the space's admins and platform admins
// Rows of other spaces never appear in a space's answer: the store filters by
// space in SQL (P6). Space admins read the current space only (by its id): a
// space created again with a deleted space's key does not see its
// predecessor's rows. Platform admins read every space that had the key;
// each row names its space_id.
#include "reconcile/audit_filter.h"
#include "server/api_json.h"
#include "server/audit_params.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/json_errors.h"
#include "store/report.h"

namespace vitrine::server {
namespace {

constexpr int64_t kDefaultLimit = 1000;

Response answer(ServerContext& ctx, const Request& req, const store::AuditQuery& q,
                const reconcile::AuditFilter& f, int64_t now) {
  const std::string format = req.query_param("format").value_or("json");
  if (format != "json" && format != "md" && format != "md-table") {
    return json_error(400, "invalid", "'format' must be json, md-table or md");
  }
  auto rows = ctx.runtime.store().audit().query(q);
  if (!rows) return json_error(rows.error());
  if (format == "json") return json_response(200, store::format_audit_json(*rows));
  Response r;
  if (format == "md-table") {
    r = text_response(200, reconcile::format_audit_md_table(*rows, f, now));
  } else {
    auto approvals = ctx.runtime.store().approvals().list(std::nullopt);
    if (!approvals) return json_error(approvals.error());
    r = text_response(200, store::format_review_md(*rows, *approvals, q.space, now));
  }
  r.content_type = "text/markdown; charset=utf-8";
  return r;
}

}  // namespace

void add_api_audit_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/api/v1/audit", [&ctx](Request& req) {
    // Every space's rows: the platform-wide right (platform admins only).
    auto auth = authorize(ctx, req, Credentials::bearer, store::Action::space_list, "");
    if (!auth.caller) return auth.refusal;
    const int64_t now = store::system_now_ms();
    const auto f = audit_filter_of(req);
    auto q = reconcile::audit_query(f, kDefaultLimit, now);
    if (!q) return json_error(400, "invalid", q.error().message);
    return answer(ctx, req, *q, f, now);
  });

  router.add("GET", "/api/v1/spaces/{space}/audit", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, store::Action::audit_read, space);
    if (!auth.caller) return auth.refusal;
    const int64_t now = store::system_now_ms();
    auto f = audit_filter_of(req);
    f.space = space;
    auto q = reconcile::audit_query(f, kDefaultLimit, now);
    if (!q) return json_error(400, "invalid", q.error().message);
    if (auth.caller->principal.role.kind != store::Role::Kind::platform_admin) {
      auto current = ctx.runtime.store().audit().current_generation(space);
      if (!current) return json_error(current.error());
      q->space_id = current->space_id;
    }
    return answer(ctx, req, *q, f, now);
  });
}

}  // namespace vitrine::server
