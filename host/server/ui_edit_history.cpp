// A page's history in the browser: every role of the space reads it (the
// commits that changed the page, newest first, and the unified diff between
// two revisions), because readers of incident pages need to see what a page
// said before; only those who may edit the page get Restore, which makes an
// old text current as a new commit (history is never rewritten). Restore
// passes the CSRF checks and is audited (page.restore).
#include <sstream>
#include <variant>

#include "server/csrf.h"
#include "server/page_repos.h"
#include "server/ui/html.h"
#include "server/ui_console.h"
#include "server/ui_edit.h"

namespace vitrine::server {
namespace {

using store::Action;

std::string history_url(const std::string& space, const std::string& page) {
  return "/spaces/" + space + "/history/" + page;
}

std::string when(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// Each diff line in its own element: <ins> for added, <del> for removed,
// so the change reads without colour and without a stylesheet.
std::string diff_html(const std::string& diff) {
  std::string h = "<pre class=\"diff\" aria-label=\"Differences\">";
  std::istringstream in(diff);
  std::string line;
  while (std::getline(in, line)) {
    const bool header = line.rfind("+++", 0) == 0 || line.rfind("---", 0) == 0;
    if (!header && !line.empty() && line[0] == '+') {
      h += "<ins>" + ui::esc(line) + "</ins>\n";
    } else if (!header && !line.empty() && line[0] == '-') {
      h += "<del>" + ui::esc(line) + "</del>\n";
    } else {
      h += ui::esc(line) + "\n";
    }
  }
  return h + "</pre>";
}

}  // namespace

void add_edit_history_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/spaces/{space}/history/{page}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    auto auth = authorize(ctx, req, Credentials::browser, Action::page_read, space);
    if (!auth.caller) return auth.refusal;
    const bool may_write = permits(ctx, *auth.caller, Action::page_write, space);
    auto repo = open_page_repo(ctx, space);
    if (!repo.ok()) return ui::error_page(500, "Pages unavailable", repo.error.message);
    auto history = repo.value->history(page);
    if (!history.ok()) {
      return ui::error_page(page_http_status(history.error.code), "No history",
                            history.error.message);
    }
    auto head = repo.value->head();
    const std::string base = head.ok() ? *head.value : std::string();
    const auto& commits = *history.value;
    ui::Shell s = console::space_shell(ctx, *auth.caller, space, "History of " + page);
    std::string& h = s.body_html;
    h = "<h1>History of " + ui::esc(page) + "</h1>";
    auto from = req.query_param("from");
    auto to = req.query_param("to");
    if (from && to) {
      auto diff = repo.value->diff(page, *from, *to);
      if (!diff.ok()) {
        h += "<p class=\"flash error\" role=\"alert\">" + ui::esc(diff.error.message) + " (rule " +
             ui::esc(diff.error.rule) + ")</p>";
      } else {
        h += "<h2>Changes from " + ui::esc(from->substr(0, 12)) + " to " +
             ui::esc(to->substr(0, 12)) + "</h2>" + diff_html(*diff.value);
      }
    }
    h += "<table><thead><tr><th>When</th><th>Who</th><th>Message</th><th>Revision</th>"
         "<th></th></tr></thead><tbody>";
    for (std::size_t i = 0; i < commits.size(); ++i) {
      const auto& c = commits[i];
      h += "<tr><td>" + ui::esc(when(c.time)) + "</td><td>" + ui::esc(c.author_name) + "</td><td>" +
           ui::esc(c.message) + "</td><td><code>" + ui::esc(c.id.substr(0, 12)) +
           "</code></td><td>";
      if (i + 1 < commits.size()) {
        h += "<a href=\"" + ui::esc(history_url(space, page)) +
             "?from=" + ui::esc(commits[i + 1].id) + "&amp;to=" + ui::esc(c.id) +
             "\">Diff with previous</a> ";
      }
      if (i > 0 && may_write) {
        h += ui::button_form("/spaces/" + space + "/restore/" + page,
                             "Restore " + c.id.substr(0, 12), auth.caller->csrf(),
                             "<input type=\"hidden\" name=\"revision\" value=\"" + ui::esc(c.id) +
                                 "\"><input type=\"hidden\" name=\"base\" value=\"" +
                                 ui::esc(base) + "\">");
      }
      h += "</td></tr>";
    }
    h += "</tbody></table><p><a href=\"/spaces/" + ui::esc(space) + "/pages/" + ui::esc(page) +
         "\">Back to the page</a> · <a href=\"/spaces/" + ui::esc(space) + "/pages/" +
         ui::esc(page) + "/freshness\">Evidence pinned from this page</a>";
    if (may_write) {
      h += " · <a href=\"/spaces/" + ui::esc(space) + "/edit/" + ui::esc(page) + "\">Edit</a>";
    }
    h += "</p>";
    return ui::page(200, s);
  });

  router.add("POST", "/spaces/{space}/restore/{page}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    auto auth = authorize(ctx, req, Credentials::browser, Action::page_write, space);
    if (!auth.caller) return auth.refusal;
    auto form = parse_form(req.body);
    if (!auth.caller->session || !form_allowed(ctx, req, *auth.caller->session, form)) {
      return csrf_refusal();
    }
    const std::string revision = form["revision"];
    const std::string base = form["base"];
    auto repo = open_page_repo(ctx, space);
    if (!repo.ok()) return ui::error_page(500, "Pages unavailable", repo.error.message);
    auto rev = repo.value->restore(page, revision, author_of(ctx, *auth.caller), base);
    if (!rev.ok()) {
      ctx.sessions.set_flash(auth.caller->session->id,
                             ui::error_notice("Not restored: " + rev.error.message + " (rule " +
                                              rev.error.rule + ")"));
      return redirect(history_url(space, page));
    }
    audit_page_write(ctx, *auth.caller, space, "page.restore", page,
                     {{"revision", *rev.value}, {"restored", revision}, {"base", base}});
    ctx.sessions.set_flash(auth.caller->session->id,
                           "Restored " + page + " to revision " + revision.substr(0, 12) + ".");
    return redirect("/spaces/" + space + "/pages/" + page);
  });
}

}  // namespace vitrine::server
