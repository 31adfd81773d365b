// The audit filter a request's query names (?space=&actor=&action=&since=
// &until=&limit=&before=), read the same way by the JSON API and the console
// so the two cannot drift; reconcile/audit_filter.h checks the values.
#pragma once

#include "reconcile/audit_filter.h"
#include "server/http.h"

namespace vitrine::server {

reconcile::AuditFilter audit_filter_of(const Request& req);

}  // namespace vitrine::server
