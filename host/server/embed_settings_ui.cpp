#include "server/embed_settings_ui.h"

#include "server/auth.h"
#include "server/csrf.h"
#include "server/share_links_admin.h"
#include "server/ui/html.h"
#include "store/embed_settings.h"
#include "store/report.h"

namespace vitrine::server {
namespace {

// Changing embed settings and share links: a space admin's action.
constexpr store::Action kManage = store::Action::plugin_enable;

std::string settings_url(const std::string& space) { return "/spaces/" + space + "/settings"; }

struct FormCall {
  Caller caller;
  std::map<std::string, std::string> form;
};

std::variant<FormCall, Response> guard(ServerContext& ctx, Request& req, const std::string& space) {
  auto auth = authorize(ctx, req, Credentials::browser, kManage, space);
  if (!auth.caller) return auth.refusal;
  auto form = parse_form(req.body);
  if (!auth.caller->session || !form_allowed(ctx, req, *auth.caller->session, form)) {
    return csrf_refusal();
  }
  return FormCall{std::move(*auth.caller), std::move(form)};
}

Response back(ServerContext& ctx, const FormCall& call, const std::string& space,
              const std::string& notice) {
  ctx.sessions.set_flash(call.caller.session->id, notice);
  return redirect(settings_url(space) + "#embeds");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    while (!cur.empty() && (cur.back() == ' ' || cur.back() == '\t' || cur.back() == '\r')) {
      cur.pop_back();
    }
    std::size_t b = cur.find_first_not_of(" \t");
    if (b != std::string::npos) out.push_back(cur.substr(b));
    cur.clear();
  };
  for (char c : text) {
    if (c == '\n') {
      flush();
    } else {
      cur.push_back(c);
    }
  }
  flush();
  return out;
}

}  // namespace

std::string embed_settings_section(ServerContext& ctx, const Request& request,
                                   const std::string& space, const std::string& csrf) {
  const std::string base = settings_url(space);
  std::string h = "<section id=\"embeds\"><h2>Embeds and share links</h2>";
  auto origins = store::EmbedSettings(ctx.runtime.store().context()).origins(space);
  std::string text;
  if (origins) {
    for (const auto& o : *origins) text += o + "\n";
  }
  h += "<p>Sites allowed to frame this space's embeds and share links (one origin per line, "
       "such as <code>https://wiki.example.com</code> or <code>https://*.example.com</code>; "
       "empty: no site may frame them).</p>"
       "<form method=\"post\" action=\"" +
       ui::esc(base) + "/embed\">" + ui::csrf_field(csrf) +
       "<label for=\"frame_ancestors\">Allowed origins</label>"
       "<textarea id=\"frame_ancestors\" name=\"frame_ancestors\" rows=\"3\">" +
       ui::esc(text) + "</textarea><p><button type=\"submit\">Save origins</button></p></form>";
  h += "<h3>Share links</h3><p class=\"muted\">Read-only links to one page or one macro for "
       "readers without an account. Anyone with the link sees its target until it expires or is "
       "revoked.</p>"
       "<form method=\"post\" action=\"" +
       ui::esc(base) + "/share-links\">" + ui::csrf_field(csrf) +
       "<label for=\"share_page\">Page</label><input id=\"share_page\" name=\"page\" required "
       "pattern=\"[a-z0-9-]{1,64}\">"
       "<label for=\"share_macro\">Macro number (empty: the whole page)</label>"
       "<input id=\"share_macro\" name=\"macro\" inputmode=\"numeric\" pattern=\"[0-9]{0,3}\">"
       "<label for=\"share_days\">Valid for (days)</label>"
       "<input id=\"share_days\" name=\"days\" value=\"7\" inputmode=\"numeric\" "
       "pattern=\"[0-9]{1,3}\"><p><button type=\"submit\">Create share link</button></p></form>";
  auto links = store::ShareLinks(ctx.runtime.store().context()).list(space);
  if (!links) {
    return h + "<p class=\"error-text\">" + ui::esc(links.error().message) + "</p></section>";
  }
  h += "<table class=\"share-links\"><thead><tr><th>Target</th><th>Link</th><th>State</th>"
       "<th>Expires</th><th>Created by</th><th></th></tr></thead><tbody>";
  const int64_t now = store::system_now_ms();
  for (auto it = links->rbegin(); it != links->rend(); ++it) {
    const auto& l = *it;
    const std::string state = share_link_state(l.row, now);
    const std::string target =
        l.row.page + (l.row.macro > 0 ? ", macro " + std::to_string(l.row.macro) : "");
    h += "<tr data-share-link=\"" + ui::esc(l.row.id) + "\"><td>" + ui::esc(target) +
         "</td><td><input readonly class=\"share-url\" value=\"" +
         ui::esc(share_link_url(ctx, request, l.token)) + "\" aria-label=\"share link\"></td><td>" +
         ui::esc(state) + "</td><td>" + ui::esc(store::format_time(l.row.expires_at_ms)) +
         "</td><td>" + ui::esc(l.row.created_by) + "</td><td>" +
         (state == "active" ? ui::button_form(base + "/share-links/" + l.row.id + "/revoke",
                                              "Revoke", csrf, {}, "danger")
                            : std::string()) +
         "</td></tr>";
  }
  return h + "</tbody></table></section>";
}

void add_embed_settings_routes(Router& router, ServerContext& ctx) {
  router.add("POST", "/spaces/{space}/settings/embed", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto g = guard(ctx, req, space);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    auto st = store::EmbedSettings(ctx.runtime.store().context())
                  .set_origins(call.caller.who(), space, lines_of(call.form["frame_ancestors"]));
    return back(ctx, call, space,
                st ? "Allowed origins saved."
                   : ui::error_notice("Origins not saved: " + st.error().message));
  });

  router.add("POST", "/spaces/{space}/settings/share-links", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto g = guard(ctx, req, space);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    const std::string page = call.form["page"];
    const std::string macro_text = call.form["macro"];
    const std::string days_text = call.form["days"].empty() ? "7" : call.form["days"];
    auto number = [](const std::string& s) -> std::optional<int64_t> {
      if (s.empty() || s.size() > 3 || s.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
      }
      return std::stoll(s);
    };
    const auto macro = macro_text.empty() ? std::optional<int64_t>(0) : number(macro_text);
    const auto days = number(days_text);
    if (!is_slug(page, 64) || !macro || !days || *days < 1 || *days > 365) {
      return back(ctx, call, space,
                  ui::error_notice("Not created: give a page name, an optional macro number and "
                                   "1 to 365 days."));
    }
    auto created =
        create_share_link(ctx, call.caller.who(), space, page, *macro, *days * 24 * 3600);
    if (!created) {
      return back(ctx, call, space, ui::error_notice("Not created: " + created.error().message));
    }
    return back(ctx, call, space,
                "Share link created: " + share_link_url(ctx, req, created->token));
  });

  router.add("POST", "/spaces/{space}/settings/share-links/{id}/revoke", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto g = guard(ctx, req, space);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    const std::string id = req.param("id");
    auto st = store::ShareLinks(ctx.runtime.store().context()).revoke(call.caller.who(), space, id);
    return back(
        ctx, call, space,
        st ? "Share link revoked." : ui::error_notice("Not revoked: " + st.error().message));
  });
}

}  // namespace vitrine::server
