#include "server/warm_settings_ui.h"

#include "server/auth.h"
#include "server/csrf.h"
#include "server/ui/html.h"
#include "store/report.h"
#include "store/warm_schedules.h"

namespace vitrine::server {
namespace {

// Changing the schedule: a space admin's action, as the other settings.
constexpr store::Action kManage = store::Action::plugin_enable;

std::string settings_url(const std::string& space) { return "/spaces/" + space + "/settings"; }

std::string when(int64_t ms) { return ms == 0 ? "never" : store::format_time(ms); }

std::string checked(bool on) { return on ? " checked" : ""; }

}  // namespace

std::string warm_settings_section(ServerContext& ctx, const std::string& space,
                                  const std::string& csrf) {
  std::string h = "<section id=\"warming\"><h2>Cache warming</h2>";
  auto row = store::WarmSchedules(ctx.runtime.store().context()).get(space);
  if (!row) {
    return h + "<p class=\"error-text\">" + ui::esc(row.error().message) + "</p></section>";
  }
  h += "<p>Renders every macro of every page of this space again on a schedule, past the "
       "caches, so readers find fresh content. One run at a time per space, two macros at "
       "once.</p>";
  h += "<p>Schedule: <strong>" +
       ui::esc(store::describe_warm_schedule(row->mode, row->interval_s)) + "</strong>";
  if (row->mode != "off") h += "; next run due " + ui::esc(when(row->next_due_at_ms));
  h += ".<br>Last run: " + ui::esc(when(row->last_started_at_ms));
  if (row->last_started_at_ms != 0) {
    if (row->last_finished_at_ms >= row->last_started_at_ms) {
      h += ", " + std::to_string(row->last_refreshed) + " refreshed, ";
      h += row->last_failed == 0 ? "0 failed"
                                 : "<span class=\"error-text\">" +
                                       std::to_string(row->last_failed) + " failed</span>";
    } else {
      h += ", still running";
    }
  }
  h += ".</p>";
  const int64_t minutes = row->mode == "custom" ? row->interval_s / 60 : 60;
  // No min/max on the field: the server's rule (5 minutes to 7 days) is the
  // one answer, shown as an error notice that names it.
  h += "<form method=\"post\" action=\"" + ui::esc(settings_url(space)) + "/warming\">" +
       ui::csrf_field(csrf) +
       "<fieldset><legend>Warm this space</legend>"
       "<label><input type=\"radio\" name=\"mode\" value=\"off\"" +
       checked(row->mode == "off") +
       "> Off</label> "
       "<label><input type=\"radio\" name=\"mode\" value=\"hourly\"" +
       checked(row->mode == "hourly") +
       "> Hourly</label> "
       "<label><input type=\"radio\" name=\"mode\" value=\"custom\"" +
       checked(row->mode == "custom") +
       "> Every</label> "
       "<label for=\"warm_minutes\">minutes</label> "
       "<input id=\"warm_minutes\" name=\"minutes\" type=\"number\" "
       "value=\"" +
       std::to_string(minutes) +
       "\"></fieldset><p><button type=\"submit\">Save schedule</button></p></form></section>";
  return h;
}

void add_warm_settings_routes(Router& router, ServerContext& ctx) {
  router.add("POST", "/spaces/{space}/settings/warming", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::browser, kManage, space);
    if (!auth.caller) return auth.refusal;
    auto form = parse_form(req.body);
    if (!auth.caller->session || !form_allowed(ctx, req, *auth.caller->session, form)) {
      return csrf_refusal();
    }
    const std::string mode = form["mode"];
    int64_t interval_s = 0;
    std::string error;
    if (mode == "custom") {
      // A bare number is minutes (the field's unit); "2h" or "1d" work too.
      auto parsed = store::parse_warm_interval(form["minutes"]);
      if (parsed.ok) {
        interval_s = parsed.interval_s;
      } else {
        error = parsed.message;
      }
    }
    if (error.empty()) {
      auto st = store::WarmSchedules(ctx.runtime.store().context())
                    .set(auth.caller->who(), space, mode, interval_s);
      if (!st) error = st.error().message;
    }
    ctx.sessions.set_flash(auth.caller->session->id,
                           error.empty() ? "Warming schedule saved."
                                         : ui::error_notice("Schedule not saved: " + error));
    return redirect(settings_url(space) + "#warming");
  });
}

}  // namespace vitrine::server
