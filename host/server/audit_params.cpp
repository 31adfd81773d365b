#include "server/audit_params.h"

namespace vitrine::server {

reconcile::AuditFilter audit_filter_of(const Request& req) {
  reconcile::AuditFilter f;
  f.space = req.query_param("space").value_or("");
  f.actor = req.query_param("actor").value_or("");
  f.action = req.query_param("action").value_or("");
  f.since = req.query_param("since").value_or("");
  f.until = req.query_param("until").value_or("");
  f.limit = req.query_param("limit").value_or("");
  f.before = req.query_param("before").value_or("");
  return f;
}

}  // namespace vitrine::server
