// Console: Spaces. Create (store Spaces::create, as `vitrine spaces create`
// and POST /api/v1/spaces), connect to a Grafana origin with the platform
// admin's approval of a self-hosted / customer-managed origin
// (reconcile::connect_space, as `vitrine spaces connect` and POST
// /api/v1/spaces/{space}/connect), delete after the space key is typed to
// confirm (Spaces::remove, as `vitrine spaces delete --yes` and DELETE
// /api/v1/spaces/{space}).
#include "reconcile/space_ops.h"
#include "server/ui_console.h"
#include "store/report.h"

namespace vitrine::server::console {
namespace {

constexpr const char* kPage = "/admin/spaces";

std::string create_form(const std::string& csrf) {
  return "<section aria-labelledby=\"create\"><h2 id=\"create\">Create a space</h2>"
         "<form method=\"post\" action=\"/admin/spaces\">" +
         ui::csrf_field(csrf) +
         text_field("key", "Space key (2-32 of a-z, 0-9, '-')", "",
                    "required pattern=\"[a-z0-9\\-]{2,32}\" autocomplete=\"off\"") +
         text_field("name", "Display name", "", "autocomplete=\"off\"") +
         "<p><button type=\"submit\">Create space</button></p></form></section>";
}

std::string connect_form(const store::SpaceRow& sp, const std::string& csrf) {
  const std::string id = "connect-" + sp.key;
  return "<details><summary>Connect to Grafana</summary><form method=\"post\" action=\"/admin/"
         "spaces/" +
         ui::esc(sp.key) + "/connect\">" + ui::csrf_field(csrf) + "<label for=\"" + id +
         "-origin\">Grafana origin (https://HOST[:PORT])</label>"
         "<input type=\"text\" id=\"" +
         id + "-origin\" name=\"origin\" value=\"" + ui::esc(sp.grafana_origin) +
         "\" required autocomplete=\"off\">"
         "<label for=\"" +
         id + "-cm\"><input type=\"checkbox\" id=\"" + id +
         "-cm\" name=\"customer_managed\" value=\"1\"> Approve as a "
         "self-hosted / customer-managed origin (outside the plugin's patterns)</label>"
         "<label for=\"" +
         id +
         "-plugin\">With customer-managed: plugin id</label>"
         "<input type=\"text\" id=\"" +
         id +
         "-plugin\" name=\"plugin\" autocomplete=\"off\">"
         "<label for=\"" +
         id +
         "-entry\">With customer-managed: the plugin's customer-managed "
         "egress entry</label><input type=\"text\" id=\"" +
         id +
         "-entry\" name=\"entry\" autocomplete=\"off\">"
         "<label for=\"" +
         id + "-private\"><input type=\"checkbox\" id=\"" + id +
         "-private\" name=\"allow_private\" value=\"1\"> Also approve "
         "private network addresses for this origin</label>"
         "<p><button type=\"submit\">Connect</button></p></form></details>";
}

std::string delete_form(const store::SpaceRow& sp, const std::string& csrf) {
  const std::string id = "confirm-" + sp.key;
  return "<details><summary>Delete</summary><form method=\"post\" action=\"/admin/spaces/" +
         ui::esc(sp.key) + "/delete\">" + ui::csrf_field(csrf) +
         "<p>Deleting removes the space's token, cache, assets and enablement, revokes its "
         "admin tokens and moves its pages to the trash. The audit stays.</p>"
         "<label for=\"" +
         id + "\">Type the space key <code>" + ui::esc(sp.key) +
         "</code> to confirm</label><input type=\"text\" id=\"" + id +
         "\" name=\"confirm\" required autocomplete=\"off\">"
         "<p><button type=\"submit\" class=\"danger\">Delete space " +
         ui::esc(sp.key) + "</button></p></form></details>";
}

std::string spaces_table(ServerContext& ctx, const std::vector<store::SpaceRow>& spaces,
                         const std::string& csrf) {
  if (spaces.empty()) return "<p>No spaces yet.</p>";
  std::string h =
      "<table class=\"spaces\"><thead><tr><th>Space</th><th>Grafana</th><th>Token</th>"
      "<th>Actions</th></tr></thead><tbody>";
  for (const auto& sp : spaces) {
    auto token = ctx.runtime.store().spaces().token_status(sp.key);
    std::string origin = sp.grafana_origin.empty()
                             ? std::string("<span class=\"muted\">not connected</span>")
                             : "<code>" + ui::esc(sp.grafana_origin) + "</code>" +
                                   (sp.grafana_allow_private ? " (private network approved)" : "");
    h += "<tr data-space=\"" + ui::esc(sp.key) + "\"><td><a href=\"/spaces/" + ui::esc(sp.key) +
         "/settings\">" + ui::esc(sp.key) + "</a> " + ui::esc(sp.display_name) +
         "<br><span class=\"muted\">created " + ui::esc(store::format_time(sp.created_at_ms)) +
         " by " + ui::esc(sp.created_by) + "</span></td><td>" + origin + "</td><td>" +
         (token && token->configured ? "configured" : "not configured") + "</td><td>" +
         (csrf.empty() ? "" : connect_form(sp, csrf) + delete_form(sp, csrf)) + "</td></tr>";
  }
  return h + "</tbody></table>";
}

}  // namespace

void add_console_spaces_routes(Router& router, ServerContext& ctx) {
  router.add("GET", kPage, [&ctx](Request& req) {
    auto page = open_page(ctx, req, store::Action::space_create, "Spaces");
    if (auto* r = std::get_if<Response>(&page)) return std::move(*r);
    auto& call = std::get<PageCall>(page);
    auto spaces = ctx.runtime.store().spaces().list();
    if (!spaces) return ui::error_page(500, "Cannot load the spaces", spaces.error().message);
    const std::string& csrf = call.shell.csrf;
    call.shell.body_html =
        "<h1>Spaces</h1><p class=\"muted\">The same operations: <code>vitrine spaces "
        "create|connect|delete</code> and <code>/api/v1/spaces</code>.</p>" +
        (csrf.empty()
             ? std::string("<p class=\"muted\">Log in through /login to change spaces.</p>")
             : create_form(csrf)) +
        "<section aria-labelledby=\"all\"><h2 id=\"all\">All spaces</h2>" +
        spaces_table(ctx, *spaces, csrf) + "</section>";
    return ui::page(200, call.shell);
  });

  router.add("POST", kPage, [&ctx](Request& req) {
    auto g = guard(ctx, req, store::Action::space_create);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    auto row =
        ctx.runtime.store().spaces().create(call.caller.who(), call.form["key"], call.form["name"]);
    if (!row) return back_with_error(ctx, call, kPage, "Space not created: " + row.error().message);
    return back(ctx, call, kPage,
                "Created space " + row->key + ". Connect it to its Grafana next.");
  });

  router.add("POST", "/admin/spaces/{space}/connect", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto g = guard(ctx, req, store::Action::space_create);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    if (!permits(ctx, call.caller, store::Action::space_connect, space)) {
      return back_with_error(ctx, call, kPage, "No space '" + space.substr(0, 64) + "'.");
    }
    store::ConnectRequest c{call.form["origin"], call.form["customer_managed"] == "1",
                            call.form["plugin"], call.form["entry"],
                            call.form["allow_private"] == "1"};
    auto out = reconcile::connect_space(ctx.runtime.store(), call.caller.who(), space, c);
    if (!out) {
      return back_with_error(ctx, call, kPage,
                             "Space " + space + " not connected: " + out.error().message);
    }
    std::string notice =
        "Space " + space + " connected to " + out->space.grafana_origin +
        (out->space.grafana_allow_private ? " (private network approved)" : "") +
        (c.customer_managed ? " as a customer-managed origin for " + c.plugin_id : std::string()) +
        ".";
    if (!out->removed_token_origin.empty()) {
      notice += " The previous token was bound to " + out->removed_token_origin +
                " and has been removed; a space admin sets the token for the new origin.";
    }
    return back(ctx, call, kPage, notice);
  });

  router.add("POST", "/admin/spaces/{space}/delete", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto g = guard(ctx, req, store::Action::space_create);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    if (call.form["confirm"] != space) {
      return back_with_error(ctx, call, kPage,
                             "Space " + space.substr(0, 64) +
                                 " not deleted: type its key exactly to confirm the deletion.");
    }
    if (!permits(ctx, call.caller, store::Action::space_delete, space)) {
      return back_with_error(ctx, call, kPage, "No space '" + space.substr(0, 64) + "'.");
    }
    store::RemoveOptions opts;
    if (!ctx.options.pages_dir.empty()) {
      opts.files = store::SpaceFiles::beside(ctx.options.pages_dir);
    }
    auto r = ctx.runtime.store().spaces().remove(call.caller.who(), space, opts);
    if (!r) {
      return back_with_error(ctx, call, kPage,
                             "Space " + space + " not deleted: " + r.error().message);
    }
    std::string notice = "Deleted space " + space + " (id " + r->id + "); revoked " +
                         std::to_string(r->tokens.size()) + " admin token(s)";
    if (!r->trashed.empty()) notice += "; its pages are in the trash: " + r->trashed.string();
    if (!r->warning.empty()) return back_with_error(ctx, call, kPage, notice + ". " + r->warning);
    return back(ctx, call, kPage, notice + ".");
  });
}

}  // namespace vitrine::server::console
