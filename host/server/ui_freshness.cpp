// The page's freshness screen, /spaces/{space}/pages/{page}/freshness:
// "Refresh all" and "Pin as evidence" for writers (page_write: editor and
// up), the page's evidence records for every reader of the space, and
// /spaces/{space}/dashboards?uid=UID, the pages that use a dashboard.
// Evidence is read from its record file only, so it shows while Grafana is
// down.
#include "server/ui_freshness.h"

#include <openssl/crypto.h>

#include "render/page.h"
#include "server/auth.h"
#include "server/csrf.h"
#include "server/ui/html.h"
#include "server/ui_console.h"
#include "store/report.h"

namespace vitrine::server {
namespace {

using store::Action;

std::string freshness_url(const std::string& space, const std::string& page) {
  return "/spaces/" + space + "/pages/" + page + "/freshness";
}

// Authorization for page_write, then the CSRF checks.
std::optional<Response> guard_form(ServerContext& ctx, Request& req, const std::string& space,
                                   std::optional<Caller>& caller,
                                   std::map<std::string, std::string>& form) {
  auto auth = authorize(ctx, req, Credentials::browser, Action::page_write, space);
  if (!auth.caller) return auth.refusal;
  form = parse_form(req.body);
  if (!req.body.empty()) OPENSSL_cleanse(req.body.data(), req.body.size());
  if (!auth.caller->session || !form_allowed(ctx, req, *auth.caller->session, form)) {
    return csrf_refusal();
  }
  caller = std::move(auth.caller);
  return std::nullopt;
}

std::string report_notice(const render::RefreshReport& r) {
  std::string n = "Refreshed " + std::to_string(r.refreshed) + ", failed " +
                  std::to_string(r.failed.size()) + ".";
  for (const auto& f : r.failed) {
    n +=
        " Macro " + std::to_string(f.macro) + " (" + f.key + "): " + f.error + " [" + f.rule + "].";
  }
  return r.failed.empty() ? n : ui::error_notice(n);
}

}  // namespace

void add_freshness_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/spaces/{space}/pages/{page}/freshness", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    auto auth = authorize(ctx, req, Credentials::browser, Action::space_show, space);
    if (!auth.caller) return auth.refusal;
    auto markdown = read_page(ctx, space, page);
    if (!markdown) {
      return ui::error_page(404, "Not found", "There is no page with this name in this space.");
    }
    const bool writer = permits(ctx, *auth.caller, Action::page_write, space);
    auto s = console::space_shell(ctx, *auth.caller, space, "Freshness: " + page);
    const std::string pg = ui::esc(page);
    const std::string base = "/spaces/" + space + "/pages/" + page;
    std::string& h = s.body_html;
    h = "<h1>Freshness of <a href=\"" + ui::esc(base) + "\">" + pg + "</a></h1>";
    const auto parsed = render::parse_page(*markdown, ctx.runtime.plugin_set()->macro_keys);
    if (writer) {
      h += "<section id=\"vitrine-refresh\"><h2>Refresh all</h2><p>Renders every macro of the "
           "page again past the caches, " +
           std::to_string(kRefreshBatch) + " at a time, and reports what failed.</p>" +
           ui::button_form(base + "/refresh", "Refresh all", auth.caller->csrf()) + "</section>";
    }
    h += "<section id=\"vitrine-macros\"><h2>Macros</h2><ol>";
    for (const auto& m : parsed.macros) {
      h += "<li><code>" + ui::esc(m.key) + "</code> <span class=\"muted\">line " +
           std::to_string(m.line) + "</span>";
      if (writer) {
        h += " " + ui::button_form(base + "/evidence", "Pin as evidence", auth.caller->csrf(),
                                   "<input type=\"hidden\" name=\"macro\" value=\"" +
                                       std::to_string(m.index + 1) + "\">");
      }
      h += "</li>";
    }
    h += "</ol></section><section id=\"vitrine-evidence\"><h2>Evidence</h2>";
    const auto records = evidence_store(ctx).list(space, page);
    if (records.empty()) h += "<p class=\"muted\">Nothing pinned yet.</p>";
    h += "<ul>";
    for (const auto& r : records) {
      h += "<li><a href=\"" + ui::esc(base + "/evidence/" + r.id) + "\">" +
           ui::esc(store::format_time(r.pinned_at_ms)) + " · macro " + std::to_string(r.macro) +
           " (" + ui::esc(r.key) + ")</a> <span class=\"muted\">pinned by " + ui::esc(r.pinned_by) +
           "</span></li>";
    }
    h += "</ul></section>";
    return ui::page(200, s);
  });

  router.add("GET", "/spaces/{space}/pages/{page}/evidence/{id}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    auto auth = authorize(ctx, req, Credentials::browser, Action::space_show, space);
    if (!auth.caller) return auth.refusal;
    auto r =
        is_slug(page, 64) ? evidence_store(ctx).read(space, page, req.param("id")) : std::nullopt;
    if (!r) return ui::error_page(404, "Not found", "There is no evidence record with this id.");
    auto s = console::space_shell(ctx, *auth.caller, space, "Evidence " + r->id);
    s.body_html = "<h1>Evidence: macro " + std::to_string(r->macro) + " of <a href=\"" +
                  ui::esc(freshness_url(space, page)) + "\">" + ui::esc(page) +
                  "</a></h1><p class=\"vitrine-evidence-meta\">Pinned " +
                  ui::esc(store::format_time(r->pinned_at_ms)) + " by " + ui::esc(r->pinned_by) +
                  "; content as of " + ui::esc(store::format_time(r->as_of_ms)) + " (" +
                  ui::esc(r->state) + "). SHA-256 <code>" + ui::esc(r->sha256) +
                  "</code>, also in the audit log (evidence.pin).</p>";
    // The fragment was sanitized when it was rendered, before it was pinned.
    s.body_parts = {"<article class=\"vitrine-page vitrine-evidence\">", r->html, "</article>"};
    return ui::page(200, s);
  });

  router.add("POST", "/spaces/{space}/pages/{page}/refresh", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    std::optional<Caller> caller;
    std::map<std::string, std::string> form;
    if (auto refused = guard_form(ctx, req, space, caller, form)) return std::move(*refused);
    auto report = refresh_page(ctx, space, page, caller->who());
    if (!report) {
      return ui::error_page(404, "Not found", "There is no page with this name in this space.");
    }
    ctx.sessions.set_flash(caller->session->id, report_notice(*report));
    return redirect(freshness_url(space, page));
  });

  router.add("POST", "/spaces/{space}/pages/{page}/evidence", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    std::optional<Caller> caller;
    std::map<std::string, std::string> form;
    if (auto refused = guard_form(ctx, req, space, caller, form)) return std::move(*refused);
    std::size_t macro = 0;
    try {
      macro = std::stoul(form["macro"]);
    } catch (const std::exception&) {
      macro = 0;
    }
    int status = 0;
    std::string error;
    auto r = pin_evidence(ctx, space, page, macro, caller->who(), status, error);
    ctx.sessions.set_flash(caller->session->id, r ? "Pinned macro " + std::to_string(macro) +
                                                        " as evidence " + r->id + "."
                                                  : ui::error_notice("Not pinned: " + error));
    return redirect(freshness_url(space, page));
  });

  router.add("GET", "/spaces/{space}/dashboards", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::browser, Action::space_show, space);
    if (!auth.caller) return auth.refusal;
    const std::string uid = req.query_param("uid").value_or("");
    auto s = console::space_shell(ctx, *auth.caller, space, "Pages using a dashboard");
    std::string& h = s.body_html;
    h = "<h1>Which pages use this dashboard</h1><form method=\"get\" "
        "id=\"vitrine-uses-form\"><label for=\"vitrine-uid\">"
        "Dashboard uid</label> <input id=\"vitrine-uid\" name=\"uid\" value=\"" +
        ui::esc(uid) + "\"> <button type=\"submit\">Find</button></form>";
    if (!uid.empty() && !render::is_dashboard_uid(uid)) {
      h += "<p class=\"error\">A dashboard uid is 1 to 40 letters, digits, '-' or '_'.</p>";
    } else if (!uid.empty()) {
      const auto uses = dashboard_uses(ctx, space, uid);
      if (uses.empty())
        h += "<p id=\"vitrine-uses\">No page of this space uses it.</p>";
      else {
        h += "<ul id=\"vitrine-uses\">";
        for (const auto& u : uses) {
          h += "<li><a href=\"/spaces/" + ui::esc(space) + "/pages/" + ui::esc(u.page) + "\">" +
               ui::esc(u.page) + "</a>: macro " + std::to_string(u.macro) + " (<code>" +
               ui::esc(u.key) + "</code>, " + ui::esc(u.param) + ", line " +
               std::to_string(u.line) + ")</li>";
        }
        h += "</ul>";
      }
    }
    return ui::page(200, s);
  });
}

}  // namespace vitrine::server
