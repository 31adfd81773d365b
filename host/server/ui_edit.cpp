// Editing pages in the browser for editors, space admins and platform
// admins (Action::page_write): the editor form (text, commit message, the
// hidden base revision), a preview and the Grafana link insert box that work
// without script, new page, rename and delete. A save from a stale base is
// refused by the repository (page-edit-conflict): the form comes back with
// the author's text kept and the current text beside it, so neither is lost.
// Every form POST passes the CSRF checks of csrf.h; every write is audited.
#include "server/ui_edit.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <variant>

#include "pages/grafana_link.h"
#include "render/engine.h"
#include "render/markdown_limits.h"
#include "server/api_json.h"
#include "server/csrf.h"
#include "server/page_repos.h"
#include "server/ui/html.h"
#include "server/ui_console.h"

namespace vitrine::server {
namespace {

using store::Action;
namespace fs = std::filesystem;

std::string space_url(const std::string& space) { return "/spaces/" + space; }
std::string page_url(const std::string& space, const std::string& page) {
  return "/spaces/" + space + "/pages/" + page;
}
std::string edit_url(const std::string& space, const std::string& page) {
  return "/spaces/" + space + "/edit/" + page;
}

struct FormCall {
  Caller caller;
  std::map<std::string, std::string> form;
};

// Authorization (page_write), then the CSRF checks; the form parsed once.
std::variant<FormCall, Response> guard(ServerContext& ctx, Request& req, const std::string& space) {
  auto auth = authorize(ctx, req, Credentials::browser, Action::page_write, space);
  if (!auth.caller) return auth.refusal;
  auto form = parse_form(req.body);
  if (!auth.caller->session || !form_allowed(ctx, req, *auth.caller->session, form)) {
    return csrf_refusal();
  }
  return FormCall{std::move(*auth.caller), std::move(form)};
}

std::string field(const std::map<std::string, std::string>& form, const std::string& name) {
  auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

Response editor_response(int status, const ui::Shell& s) {
  Response r = ui::page(status, s);
  r.set_header("Content-Security-Policy", kEditorCsp);
  return r;
}

// What the editor form shows besides the text itself.
struct EditorState {
  std::string space;
  std::string page;
  std::string text;
  std::string base;  // "" for a new page
  std::string message;
  std::string link;          // the insert box, kept when refused
  std::string notice_html;   // an error or note above the form, escaped
  std::string preview_html;  // the engine's sanitized output, when previewed
  bool has_preview = false;
  std::string picker_q;  // the dashboard picker's search (?picker_q=)
  std::optional<pages::EditConflict> conflict;
};

std::string editor_html(ServerContext& ctx, const Caller& caller, const EditorState& e) {
  const std::string sp = ui::esc(e.space);
  const std::string pg = ui::esc(e.page);
  std::string h = "<h1>" + std::string(e.base.empty() ? "New page " : "Edit ") + pg + "</h1>";
  h += e.notice_html;
  if (e.conflict) {
    h += "<section class=\"conflict\" aria-labelledby=\"vitrine-conflict-title\">"
         "<h2 id=\"vitrine-conflict-title\">The page changed while you edited it</h2>"
         "<p>Nothing was saved (rule page-edit-conflict). Your text is kept in the editor "
         "below; the page as it is now (revision <code>" +
         ui::esc(e.conflict->current_revision.substr(0, 12)) +
         "</code>) is shown here. Merge what you need into your text and save again: the "
         "save now builds on the current revision.</p>";
    if (e.conflict->current_exists) {
      h += "<label for=\"vitrine-current\">Current text of the page</label>"
           "<textarea id=\"vitrine-current\" readonly rows=\"12\">" +
           ui::esc(e.conflict->current_text) + "</textarea>";
    } else {
      h += "<p>The page was deleted meanwhile; saving creates it again.</p>";
    }
    h += "</section>";
  }
  h += "<form method=\"post\" action=\"" + ui::esc(edit_url(e.space, e.page)) +
       "\" id=\"vitrine-editor\" data-space=\"" + sp + "\" data-page=\"" + pg + "\">" +
       ui::csrf_field(caller.csrf()) + "<input type=\"hidden\" name=\"base\" value=\"" +
       ui::esc(e.base) +
       "\">"
       "<p><label for=\"vitrine-text\">Page text (Markdown)</label><br>"
       "<textarea id=\"vitrine-text\" name=\"text\" rows=\"24\" cols=\"100\">" +
       ui::esc(e.text) +
       "</textarea></p>"
       "<p><label for=\"vitrine-link\">Grafana link to insert as a macro</label> "
       "<input id=\"vitrine-link\" name=\"link\" type=\"text\" size=\"60\" value=\"" +
       ui::esc(e.link) +
       "\"> <button type=\"submit\" name=\"op\" value=\"insert\">Insert</button></p>"
       "<p class=\"muted\" id=\"vitrine-editor-status\" role=\"status\" aria-live=\"polite\">"
       "</p>"
       "<p><label for=\"vitrine-message\">Commit message</label> "
       "<input id=\"vitrine-message\" name=\"message\" type=\"text\" size=\"60\" value=\"" +
       ui::esc(e.message) +
       "\"></p>"
       "<p><button type=\"submit\" name=\"op\" value=\"save\">Save</button> "
       "<button type=\"submit\" name=\"op\" value=\"preview\">Preview</button></p></form>";
  h += "<section aria-labelledby=\"vitrine-preview-title\"><h2 id=\"vitrine-preview-title\">"
       "Preview</h2><article class=\"vitrine-page\" id=\"vitrine-preview\">";
  if (e.has_preview) h += e.preview_html;
  h += "</article></section>";
  // The dashboard picker (ui_edit_picker.cpp); it renders through the engine.
  h += "<aside id=\"vitrine-editor-sidebar\" aria-label=\"Dashboard picker\">" +
       editor_sidebar_html(ctx, caller, e.space, e.page, e.picker_q) + "</aside>";
  if (!e.base.empty()) {
    h += "<p><a href=\"/spaces/" + sp + "/history/" + pg + "\">History</a> · <a href=\"" +
         ui::esc(page_url(e.space, e.page)) + "\">View</a> · <a href=\"/spaces/" + sp + "/delete/" +
         pg + "\">Delete</a></p>";
    h += "<form method=\"post\" action=\"/spaces/" + sp + "/rename/" + pg + "\">" +
         ui::csrf_field(caller.csrf()) + "<input type=\"hidden\" name=\"base\" value=\"" +
         ui::esc(e.base) +
         "\"><label for=\"vitrine-rename\">Rename to</label> <input id=\"vitrine-rename\" "
         "name=\"to\" type=\"text\" size=\"30\"> <button type=\"submit\">Rename</button></form>";
  }
  h += "<script src=\"/static/vitrine-editor.js\"></script>";
  return h;
}

Response show_editor(ServerContext& ctx, const Caller& caller, int status, const EditorState& e) {
  ui::Shell s = console::space_shell(ctx, caller, e.space, "Edit " + e.page);
  s.body_html = editor_html(ctx, caller, e);
  return editor_response(status, s);
}

std::string error_html(const std::string& rule, const std::string& message) {
  return "<p class=\"flash error\" role=\"alert\">" + ui::esc(message) + " (rule " + ui::esc(rule) +
         ")</p>";
}

// The engine's HTML for the text, as the render API would return it.
std::string preview_of(ServerContext& ctx, const std::string& space, const std::string& page,
                       const std::string& text, std::string& error) {
  if (auto over = render::check_markdown_limits(text)) {
    error = error_html(over->rule, over->message);
    return {};
  }
  render::MacroCall defaults;
  defaults.space = space;
  defaults.page_id = pages::is_page_name(page) ? page : "preview";
  auto out = ctx.engine.render_page(space, defaults.page_id, text, defaults);
  return out->body_html;
}

Response save(ServerContext& ctx, FormCall& call, EditorState& e) {
  auto repo = open_page_repo(ctx, e.space);
  if (!repo.ok()) {
    e.notice_html = error_html(repo.error.rule, repo.error.message);
    return show_editor(ctx, call.caller, page_http_status(repo.error.code), e);
  }
  const std::string message =
      e.message.empty() ? (e.base.empty() ? "Create " : "Edit ") + e.page : e.message;
  auto rev = repo.value->write(e.page, e.text, author_of(ctx, call.caller), message, e.base);
  if (!rev.ok()) {
    if (rev.conflict) {
      e.conflict = rev.conflict;
      // The next save builds on what the page is now: the author has seen it.
      e.base = rev.conflict->current_exists ? rev.conflict->current_revision : "";
    }
    e.notice_html = error_html(rev.error.rule, rev.error.message);
    return show_editor(ctx, call.caller, page_http_status(rev.error.code), e);
  }
  audit_page_write(ctx, call.caller, e.space, e.base.empty() ? "page.create" : "page.edit", e.page,
                   {{"revision", *rev.value}, {"base", e.base}});
  ctx.sessions.set_flash(call.caller.session->id,
                         "Saved " + e.page + " as revision " + rev.value->substr(0, 12) + ".");
  return redirect(page_url(e.space, e.page));
}

void insert_link(ServerContext& ctx, EditorState& e) {
  auto r = pages::convert_grafana_link(e.link, grafana_origin_of(ctx, e.space));
  if (!r.ok) {
    e.notice_html = error_html(r.rule, r.message);
    return;
  }
  // At the end of the page on lines of its own (no cursor without script).
  if (!e.text.empty() && e.text.back() != '\n') e.text += '\n';
  if (!e.text.empty()) e.text += '\n';
  e.text += r.block.text() + "\n";
  e.link.clear();
  std::string notes;
  for (const auto& n : r.notes) notes += "<li>" + ui::esc(n) + "</li>";
  e.notice_html = "<p class=\"flash\" role=\"status\">Inserted a " + ui::esc(r.block.key) +
                  " block at the end of the page.</p>" +
                  (notes.empty() ? "" : "<ul class=\"muted\">" + notes + "</ul>");
}

std::string without_cr(std::string text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += text[i];
  }
  return out;
}

Response json_answer(int status, const JsonObject& o) { return json_response(status, to_json(o)); }

}  // namespace

std::vector<std::string> list_pages(const ServerContext& ctx, const std::string& space) {
  std::vector<std::string> pages;
  std::error_code ec;
  for (fs::directory_iterator it(ctx.options.pages_dir / space, ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto& p = it->path();
    if (p.extension() == ".md" && pages::is_page_name(p.stem().string())) {
      pages.push_back(p.stem().string());
    }
  }
  std::sort(pages.begin(), pages.end());
  return pages;
}

std::string page_edit_links_html(ServerContext& ctx, const Caller& caller, const std::string& space,
                                 const std::string& page) {
  const std::string history =
      "<a href=\"/spaces/" + ui::esc(space) + "/history/" + ui::esc(page) + "\">History</a>";
  if (!permits(ctx, caller, Action::page_write, space)) {
    // Readers see the history too (ui_edit_history.cpp), not the editor.
    if (!permits(ctx, caller, Action::page_read, space)) return {};
    return "<p class=\"page-tools\">" + history + "</p>";
  }
  return "<p class=\"page-tools\"><a href=\"" + ui::esc(edit_url(space, page)) + "\">Edit</a> · " +
         history + "</p>";
}

std::string new_page_link_html(ServerContext& ctx, const Caller& caller, const std::string& space) {
  if (!permits(ctx, caller, Action::page_write, space)) return {};
  return "<form method=\"get\" action=\"/spaces/" + ui::esc(space) +
         "/new\"><label for=\"vitrine-new-page\">New page name</label> <input "
         "id=\"vitrine-new-page\" name=\"name\" type=\"text\" size=\"30\" "
         "pattern=\"[a-z0-9-]{1,64}\"> <button type=\"submit\">New page</button></form>";
}

void add_edit_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/static/vitrine-editor.js", [](Request&) {
    Response r = text_response(200, std::string(editor_script()));
    r.content_type = "text/javascript; charset=utf-8";
    r.set_header("Cache-Control", "no-cache");
    return r;
  });

  router.add("GET", "/spaces/{space}/new", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::browser, Action::page_write, space);
    if (!auth.caller) return auth.refusal;
    const std::string name = req.query_param("name").value_or("");
    if (!pages::is_page_name(name)) {
      if (auth.caller->session) {
        ctx.sessions.set_flash(auth.caller->session->id,
                               ui::error_notice("A page name is 1-64 of a-z, 0-9 and - (rule "
                                                "page-name); choose another name."));
      }
      return redirect(space_url(space));
    }
    return redirect(edit_url(space, name));
  });

  router.add("GET", "/spaces/{space}/edit/{page}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    auto auth = authorize(ctx, req, Credentials::browser, Action::page_write, space);
    if (!auth.caller) return auth.refusal;
    if (!pages::is_page_name(page)) {
      return ui::error_page(404, "Not found", "A page name is 1-64 of a-z, 0-9 and -.");
    }
    auto repo = open_page_repo(ctx, space);
    if (!repo.ok()) return ui::error_page(500, "Pages unavailable", repo.error.message);
    EditorState e;
    e.space = space;
    e.page = page;
    e.picker_q = req.query_param("picker_q").value_or("");
    auto read = repo.value->read(page);
    if (read.ok()) {
      e.text = read.value->text;
      e.base = read.value->revision;
    } else if (read.error.code != pages::PageErrc::not_found) {
      return ui::error_page(page_http_status(read.error.code), "Page unavailable",
                            read.error.message);
    }
    return show_editor(ctx, *auth.caller, 200, e);
  });

  router.add("POST", "/spaces/{space}/edit/{page}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto g = guard(ctx, req, space);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    EditorState e;
    e.space = space;
    e.page = req.param("page");
    // Browsers send a textarea's line breaks as CRLF (HTML's form encoding);
    // pages keep LF, so an edit never rewrites every line of the file.
    e.text = without_cr(field(call.form, "text"));
    e.base = field(call.form, "base");
    e.message = field(call.form, "message");
    e.link = field(call.form, "link");
    const std::string op = field(call.form, "op");
    if (op == "insert") {
      insert_link(ctx, e);
    } else if (op == "preview") {
      std::string error;
      e.preview_html = preview_of(ctx, space, e.page, e.text, error);
      e.has_preview = error.empty();
      e.notice_html = error;
    } else {
      return save(ctx, call, e);
    }
    return show_editor(ctx, call.caller, 200, e);
  });

  // The script's live preview: form-encoded {csrf, text, page}, JSON back.
  router.add("POST", "/spaces/{space}/preview", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto g = guard(ctx, req, space);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    std::string error;
    auto html = preview_of(ctx, space, field(call.form, "page"), field(call.form, "text"), error);
    auto o = new_object();
    if (!error.empty()) {
      o->set("error_html", error);
      return json_answer(422, o);
    }
    o->set("html", html);
    return json_answer(200, o);
  });

  // The script's paste-a-link: {csrf, text, line} -> the converted text.
  router.add("POST", "/spaces/{space}/convert-link", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto g = guard(ctx, req, space);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    std::size_t line = 0;
    try {
      line = std::stoul(field(call.form, "line"));
    } catch (...) {
      line = 0;
    }
    auto r =
        pages::convert_link_line(field(call.form, "text"), line, grafana_origin_of(ctx, space));
    auto o = new_object();
    o->set("ok", r.ok);
    if (r.ok) {
      o->set("text", r.document);
      Poco::JSON::Array::Ptr notes = new Poco::JSON::Array;
      for (const auto& n : r.notes) notes->add(n);
      o->set("notes", notes);
    } else {
      o->set("rule", r.rule);
      o->set("message", r.message);
    }
    return json_answer(200, o);
  });

  router.add("POST", "/spaces/{space}/rename/{page}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    auto g = guard(ctx, req, space);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    const std::string to = field(call.form, "to");
    const std::string base = field(call.form, "base");
    auto repo = open_page_repo(ctx, space);
    auto rev = repo.ok() ? repo.value->rename(page, to, author_of(ctx, call.caller),
                                              "Rename " + page + " to " + to, base)
                         : pages::PageResult<std::string>{std::nullopt, repo.error, std::nullopt};
    if (!rev.ok()) {
      ctx.sessions.set_flash(
          call.caller.session->id,
          ui::error_notice("Not renamed: " + rev.error.message + " (rule " + rev.error.rule + ")"));
      return redirect(edit_url(space, page));
    }
    audit_page_write(ctx, call.caller, space, "page.rename", page,
                     {{"to", to}, {"revision", *rev.value}, {"base", base}});
    ctx.sessions.set_flash(call.caller.session->id, "Renamed " + page + " to " + to + ".");
    return redirect(page_url(space, to));
  });

  router.add("GET", "/spaces/{space}/delete/{page}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    auto auth = authorize(ctx, req, Credentials::browser, Action::page_write, space);
    if (!auth.caller) return auth.refusal;
    auto repo = open_page_repo(ctx, space);
    if (!repo.ok()) return ui::error_page(500, "Pages unavailable", repo.error.message);
    auto read = repo.value->read(page);
    if (!read.ok()) {
      return ui::error_page(404, "Not found", "There is no page with this name in this space.");
    }
    ui::Shell s = console::space_shell(ctx, *auth.caller, space, "Delete " + page);
    s.body_html = "<h1>Delete " + ui::esc(page) +
                  "?</h1><p>The page disappears for readers. Its history stays in the space's "
                  "repository, so it can be restored from there.</p>" +
                  ui::button_form("/spaces/" + space + "/delete/" + page, "Delete this page",
                                  auth.caller->csrf(),
                                  "<input type=\"hidden\" name=\"base\" value=\"" +
                                      ui::esc(read.value->revision) + "\">") +
                  " <a href=\"" + ui::esc(edit_url(space, page)) + "\">Cancel</a>";
    return ui::page(200, s);
  });

  router.add("POST", "/spaces/{space}/delete/{page}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    auto g = guard(ctx, req, space);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    const std::string base = field(call.form, "base");
    auto repo = open_page_repo(ctx, space);
    auto rev = repo.ok()
                   ? repo.value->remove(page, author_of(ctx, call.caller), "Delete " + page, base)
                   : pages::PageResult<std::string>{std::nullopt, repo.error, std::nullopt};
    if (!rev.ok()) {
      ctx.sessions.set_flash(
          call.caller.session->id,
          ui::error_notice("Not deleted: " + rev.error.message + " (rule " + rev.error.rule + ")"));
      return redirect(edit_url(space, page));
    }
    audit_page_write(ctx, call.caller, space, "page.delete", page,
                     {{"revision", *rev.value}, {"base", base}});
    ctx.sessions.set_flash(call.caller.session->id, "Deleted " + page + ".");
    return redirect(space_url(space));
  });
}

}  // namespace vitrine::server
