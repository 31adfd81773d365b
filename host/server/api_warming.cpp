// Scheduled warming API (docs/api.md#scheduled-warming): read and set a
// space's cache warming schedule (store/warm_schedules.h). Space admins of
// the space and platform admins; a refusal of the schedule answers 400 with
// the rule as the error code. The store audits each change (warm.schedule).
#include "server/api_json.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/json_errors.h"
#include "store/warm_schedules.h"

namespace vitrine::server {
namespace {

// The same action as the space's other settings (embed origins, plugins).
constexpr store::Action kManageWarming = store::Action::plugin_enable;

JsonObject schedule_json(const store::WarmScheduleRow& r) {
  auto o = new_object();
  o->set("space", r.space);
  o->set("mode", r.mode);
  o->set("interval_s", r.interval_s);
  o->set("schedule", store::describe_warm_schedule(r.mode, r.interval_s));
  o->set("next_due_at", r.mode == "off" ? time_value(0) : time_value(r.next_due_at_ms));
  if (r.last_started_at_ms == 0) {
    o->set("last_run", Poco::Dynamic::Var());
  } else {
    auto run = new_object();
    run->set("started_at", time_value(r.last_started_at_ms));
    const bool finished = r.last_finished_at_ms >= r.last_started_at_ms;
    run->set("finished_at", time_value(finished ? r.last_finished_at_ms : 0));
    run->set("refreshed", r.last_refreshed);
    run->set("failed", r.last_failed);
    run->set("holder", r.last_holder);
    o->set("last_run", run);
  }
  o->set("updated_at", time_value(r.updated_at_ms));
  o->set("updated_by", text_or_null(r.updated_by));
  return o;
}

Response answer(ServerContext& ctx, const std::string& space) {
  auto row = store::WarmSchedules(ctx.runtime.store().context()).get(space);
  if (!row) return json_error(row.error());
  return json_response(200, to_json(schedule_json(*row)));
}

}  // namespace

void add_api_warming_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/api/v1/spaces/{space}/warming", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, kManageWarming, space);
    if (!auth.caller) return auth.refusal;
    return answer(ctx, space);
  });

  router.add("PUT", "/api/v1/spaces/{space}/warming", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, kManageWarming, space);
    if (!auth.caller) return auth.refusal;
    auto parsed = read_json_object(req);
    if (auto* r = std::get_if<Response>(&parsed)) return std::move(*r);
    const auto& body = std::get<JsonObject>(parsed);
    if (!body->has("mode") || !body->get("mode").isString()) {
      return json_error(400, "invalid",
                        "send {\"mode\": \"off\"}, {\"mode\": \"hourly\"} or {\"mode\": "
                        "\"custom\", \"interval_s\": 1800}");
    }
    const std::string mode = body->getValue<std::string>("mode");
    int64_t interval_s = 0;
    if (mode == "custom") {
      if (!body->has("interval_s") || !body->get("interval_s").isInteger()) {
        return json_error(400, "invalid",
                          "mode custom needs \"interval_s\": whole seconds from 300 to 604800");
      }
      interval_s = body->getValue<Poco::Int64>("interval_s");
    }
    // Checked here too so the answer's code is the rule that refused.
    if (auto c = store::check_warm_schedule(mode, interval_s); !c.ok) {
      return json_error(400, c.rule, c.message);
    }
    auto st = store::WarmSchedules(ctx.runtime.store().context())
                  .set(auth.caller->who(), space, mode, interval_s);
    if (!st) return json_error(st.error());
    return answer(ctx, space);
  });
}

}  // namespace vitrine::server
