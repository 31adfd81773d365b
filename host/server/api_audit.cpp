// GET /api/v1/spaces/{space}/audit?since=&format=json|md&limit=: the space's
// audit rows (P9), for its space admins and platform admins. Rows of other
// spaces never appear: the store filters by space in SQL (P6). Space admins
// read the current space only (by its id): a space created again with a
// deleted space's key does not see its predecessor's rows. Platform admins
// read every space that had the key; each row names its space_id.
#include "server/api_json.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/json_errors.h"
#include "store/report.h"

namespace vitrine::server {

void add_api_audit_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/api/v1/spaces/{space}/audit", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, store::Action::audit_read, space);
    if (!auth.caller) return auth.refusal;
    const int64_t now = store::system_now_ms();
    store::AuditQuery q;
    q.space = space;
    if (auth.caller->principal.role.kind != store::Role::Kind::platform_admin) {
      auto current = ctx.runtime.store().audit().current_generation(space);
      if (!current) return json_error(current.error());
      q = *current;
    }
    if (auto since = req.query_param("since"); since && !since->empty()) {
      auto parsed = store::parse_since(*since, now);
      if (!parsed) return json_error(400, "invalid", parsed.error().message);
      q.since_ms = *parsed;
    }
    q.limit = 1000;
    if (auto limit = req.query_param("limit")) {
      try {
        q.limit = std::stoll(*limit);
      } catch (const std::exception&) {
        q.limit = 0;
      }
      if (q.limit < 1 || q.limit > 100000) {
        return json_error(400, "invalid", "'limit' must be a number from 1 to 100000");
      }
    }
    const std::string format = req.query_param("format").value_or("json");
    if (format != "json" && format != "md") {
      return json_error(400, "invalid", "'format' must be json or md");
    }
    auto rows = ctx.runtime.store().audit().query(q);
    if (!rows) return json_error(rows.error());
    if (format == "json") return json_response(200, store::format_audit_json(*rows));
    auto approvals = ctx.runtime.store().approvals().list(std::nullopt);
    if (!approvals) return json_error(approvals.error());
    Response r = text_response(200, store::format_review_md(*rows, *approvals, space, now));
    r.content_type = "text/markdown; charset=utf-8";
    return r;
  });
}

}  // namespace vitrine::server
