// Freshness API (docs/api.md#freshness): refresh a page's macros past the
// caches, pin a macro as evidence and read the records, find the pages that
// use a dashboard. Writers need page_write (editor and up); readers any
// role of the space.
#include "server/api_json.h"
#include "server/auth.h"
#include "server/json_errors.h"
#include "server/ui_freshness.h"
#include "store/report.h"

namespace vitrine::server {
namespace {

JsonObject record_json(const render::EvidenceRecord& r, bool with_html) {
  auto o = new_object();
  o->set("id", r.id);
  o->set("page", r.page);
  o->set("macro", static_cast<Poco::UInt64>(r.macro));
  o->set("key", r.key);
  o->set("pinned_by", r.pinned_by);
  o->set("pinned_at", time_value(r.pinned_at_ms));
  o->set("as_of", time_value(r.as_of_ms));
  o->set("state", r.state);
  o->set("sha256", r.sha256);
  if (with_html) o->set("html", r.html);
  return o;
}

Response no_page(const std::string& page) {
  return json_error(404, "not-found",
                    "there is no page '" + page.substr(0, 64) +
                        "' in this space; GET /api/v1/spaces/SPACE/pages lists them");
}

}  // namespace

void add_api_freshness_routes(Router& router, ServerContext& ctx) {
  router.add("POST", "/api/v1/spaces/{space}/pages/{page}/refresh", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, store::Action::page_write, space);
    if (!auth.caller) return auth.refusal;
    const std::string page = req.param("page");
    auto report = refresh_page(ctx, space, page, auth.caller->who());
    if (!report) return no_page(page);
    auto o = new_object();
    o->set("refreshed", static_cast<Poco::UInt64>(report->refreshed));
    o->set("batches", static_cast<Poco::UInt64>(report->batches));
    Poco::JSON::Array::Ptr failed = new Poco::JSON::Array;
    for (const auto& f : report->failed) {
      auto e = new_object();
      e->set("macro", static_cast<Poco::UInt64>(f.macro));
      e->set("key", f.key);
      e->set("rule", text_or_null(f.rule));
      e->set("error", f.error);
      failed->add(e);
    }
    o->set("failed", failed);
    return json_response(200, to_json(o));
  });

  router.add("POST", "/api/v1/spaces/{space}/pages/{page}/evidence", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, store::Action::page_write, space);
    if (!auth.caller) return auth.refusal;
    auto parsed = read_json_object(req);
    if (auto* r = std::get_if<Response>(&parsed)) return std::move(*r);
    const auto& body = std::get<JsonObject>(parsed);
    if (!body->has("macro") || !body->get("macro").isInteger()) {
      return json_error(400, "invalid",
                        "send {\"macro\": N}: the macro's number on the page, from 1");
    }
    const auto n = body->getValue<Poco::Int64>("macro");
    int status = 0;
    std::string error;
    auto r = pin_evidence(ctx, space, req.param("page"), n > 0 ? static_cast<std::size_t>(n) : 0,
                          auth.caller->who(), status, error);
    if (!r) {
      if (status == 404) return json_error(404, "not-found", error);
      return status == 422 ? json_error(422, "evidence-needs-content", error)
                           : json_error(500, "evidence-write-failed", error);
    }
    return json_response(200, to_json(record_json(*r, false)));
  });

  router.add("GET", "/api/v1/spaces/{space}/pages/{page}/evidence", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, store::Action::space_show, space);
    if (!auth.caller) return auth.refusal;
    const std::string page = req.param("page");
    if (!is_slug(page, 64)) return no_page(page);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& r : evidence_store(ctx).list(space, page)) list->add(record_json(r, false));
    auto o = new_object();
    o->set("evidence", list);
    return json_response(200, to_json(o));
  });

  router.add("GET", "/api/v1/spaces/{space}/pages/{page}/evidence/{id}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, store::Action::space_show, space);
    if (!auth.caller) return auth.refusal;
    const std::string page = req.param("page");
    auto r =
        is_slug(page, 64) ? evidence_store(ctx).read(space, page, req.param("id")) : std::nullopt;
    if (!r) {
      return json_error(404, "not-found",
                        "no evidence record with this id on the page; GET "
                        "/api/v1/spaces/SPACE/pages/PAGE/evidence lists them");
    }
    return json_response(200, to_json(record_json(*r, true)));
  });

  router.add("GET", "/api/v1/spaces/{space}/dashboards/{uid}/pages", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, store::Action::space_show, space);
    if (!auth.caller) return auth.refusal;
    const std::string uid = req.param("uid");
    if (!render::is_dashboard_uid(uid)) {
      return json_error(400, "invalid",
                        "a dashboard uid is 1 to 40 letters, digits, '-' or '_' (the part after "
                        "/d/ in a Grafana dashboard URL)");
    }
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& u : dashboard_uses(ctx, space, uid)) {
      auto e = new_object();
      e->set("page", u.page);
      e->set("macro", static_cast<Poco::UInt64>(u.macro));
      e->set("key", u.key);
      e->set("param", u.param);
      e->set("line", u.line);
      list->add(e);
    }
    auto o = new_object();
    o->set("uid", uid);
    o->set("uses", list);
    return json_response(200, to_json(o));
  });
}

}  // namespace vitrine::server
