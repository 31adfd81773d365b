// Pages for readers: the space's page index and one rendered page, read
// from <data_dir>/pages/<space>/<page>.md (page names [a-z0-9-]{1,64}, so a
// name can never leave that directory). Also serves the stylesheet.
#include <filesystem>

#include "render/engine.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/ui/html.h"
#include "server/ui/stylesheet.h"
#include "server/ui_console.h"
#include "server/ui_edit.h"

namespace vitrine::server {
namespace {

namespace fs = std::filesystem;

// Reader-chosen view options from the query string; the engine and the
// plugin's parameter checks validate the values themselves.
void apply_view_query(const Request& req, render::MacroCall& call) {
  auto take = [&](const char* name, std::string& target) {
    if (auto v = req.query_param(name); v && !v->empty() && v->size() <= 64) target = *v;
  };
  take("theme", call.theme);
  take("tz", call.timezone);
  take("from", call.time_from);
  take("to", call.time_to);
}

}  // namespace

void add_page_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/static/vitrine.css", [](Request&) {
    Response r = text_response(200, std::string(ui::stylesheet()));
    r.content_type = "text/css; charset=utf-8";
    r.set_header("Cache-Control", "public, max-age=3600");
    return r;
  });

  router.add("GET", "/spaces/{space}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::browser, store::Action::space_show, space);
    if (!auth.caller) return auth.refusal;
    std::vector<std::string> pages;
    std::error_code ec;
    for (fs::directory_iterator it(ctx.options.pages_dir / space, ec), end; !ec && it != end;
         it.increment(ec)) {
      const auto& p = it->path();
      if (p.extension() == ".md" && is_slug(p.stem().string(), 64)) pages.push_back(p.stem());
    }
    std::sort(pages.begin(), pages.end());
    ui::Shell s = console::space_shell(ctx, *auth.caller, space, space);
    s.body_html = "<h1>" + ui::esc(space) + "</h1>";
    s.body_html += new_page_link_html(ctx, *auth.caller, space);
    if (pages.empty()) {
      s.body_html +=
          "<p class=\"muted\">No pages yet. Add Markdown files to the space's pages "
          "directory (pages/" +
          ui::esc(space) + "/NAME.md in the data directory).</p>";
    }
    s.body_html += "<ul>";
    for (const auto& p : pages) {
      s.body_html += "<li><a href=\"/spaces/" + ui::esc(space) + "/pages/" + ui::esc(p) + "\">" +
                     ui::esc(p) + "</a></li>";
    }
    s.body_html += "</ul>";
    return ui::page(200, s);
  });

  router.add("GET", "/spaces/{space}/pages/{page}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string name = req.param("page");
    auto auth = authorize(ctx, req, Credentials::browser, store::Action::space_show, space);
    if (!auth.caller) return auth.refusal;
    auto missing = [] {
      return ui::error_page(404, "Not found", "There is no page with this name in this space.");
    };
    if (!is_slug(name, 64)) return missing();
    auto markdown = ctx.page_files.read(ctx.options.pages_dir / space / (name + ".md"));
    if (!markdown) return missing();
    render::MacroCall defaults;
    defaults.space = space;
    defaults.page_id = name;
    apply_view_query(req, defaults);
    auto page = ctx.engine.render_page(space, name, *markdown, defaults);
    ui::Shell s =
        console::space_shell(ctx, *auth.caller, space, page->title.empty() ? name : page->title);
    // The engine's output: Markdown rendered without raw HTML and every
    // macro fragment sanitized. `page` outlives ui::page() below.
    s.body_html = page_edit_links_html(ctx, *auth.caller, space, name);
    // Refresh all, pin as evidence, the page's evidence (ui_freshness.cpp).
    s.body_html += "<p class=\"vitrine-freshness-link\"><a href=\"/spaces/" + ui::esc(space) +
                   "/pages/" + ui::esc(name) + "/freshness\">Freshness and evidence</a></p>";
    s.body_parts = {"<article class=\"vitrine-page\">", page->body_html, "</article>"};
    return ui::page(200, s);
  });
}

}  // namespace vitrine::server
