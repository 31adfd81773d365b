// Console: the Plugins page's install and per-space sections (the table with
// approve and roll back is ui_plugins.cpp). Install takes a bundle file of
// the server's plugins directory (reconcile::install_plugin, as `vitrine
// plugins install` and POST /api/v1/plugins); enable / disable per space is
// Approvals::enable / disable, as `vitrine plugins enable|disable` and
// PUT/DELETE /api/v1/spaces/{space}/plugins/{id}.
#include <algorithm>
#include <set>

#include "reconcile/plugin_install.h"
#include "server/ui_console.h"

namespace vitrine::server::console {
namespace {

constexpr const char* kPage = "/admin/plugins";

std::string install_section(ServerContext& ctx, const std::string& csrf) {
  const auto dir = ctx.runtime.config().plugins_dir;
  const auto bundles = reconcile::bundles_in(dir);
  std::string h =
      "<section aria-labelledby=\"install\"><h2 id=\"install\">Install a plugin</h2><p "
      "class=\"muted\">From a signed bundle (<code>vitrine plugins pack</code>) placed in the "
      "server's plugins directory <code>" +
      ui::esc(dir.string()) + "</code>. The installed version runs once approved above.</p>";
  if (bundles.empty()) {
    return h + "<p>No <code>.vitrine-plugin</code> bundle is in that directory.</p></section>";
  }
  h += "<form method=\"post\" action=\"/admin/plugins/install\">" + ui::csrf_field(csrf) +
       "<label for=\"bundle\">Bundle</label><select id=\"bundle\" name=\"bundle\" required>";
  for (const auto& b : bundles) {
    h += "<option value=\"" + ui::esc(b) + "\">" + ui::esc(b) + "</option>";
  }
  return h +
         "</select><label for=\"allow_unsigned\"><input type=\"checkbox\" id=\"allow_unsigned\" "
         "name=\"allow_unsigned\" value=\"1\"> Accept "
         "an unsigned bundle (marked UNSIGNED everywhere)</label><p><button "
         "type=\"submit\">Install</button></p></form></section>";
}

std::string spaces_section(ServerContext& ctx, const std::string& csrf) {
  auto spaces = ctx.runtime.store().spaces().list();
  if (!spaces) {
    return "<p class=\"error-text\">Cannot read the spaces: " + ui::esc(spaces.error().message) +
           "</p>";
  }
  std::set<std::string> ids;
  for (const auto& p : ctx.runtime.plugins()) {
    if (!p.manifest.id.empty()) ids.insert(p.manifest.id);
  }
  std::string h =
      "<section aria-labelledby=\"per-space\"><h2 id=\"per-space\">Enabled per space</h2>";
  if (spaces->empty() || ids.empty()) return h + "<p>No spaces or no plugins yet.</p></section>";
  h += "<table class=\"enablement\"><thead><tr><th>Space</th>";
  for (const auto& id : ids) h += "<th>" + ui::esc(id) + "</th>";
  h += "</tr></thead><tbody>";
  auto approvals = ctx.runtime.store().approvals();
  for (const auto& sp : *spaces) {
    std::set<std::string> on;
    if (auto rows = approvals.enabled(sp.key)) {
      for (const auto& e : *rows) on.insert(e.plugin_id);
    }
    h +=
        "<tr data-space=\"" + ui::esc(sp.key) + "\"><th scope=\"row\">" + ui::esc(sp.key) + "</th>";
    for (const auto& id : ids) {
      const bool enabled = on.count(id) != 0;
      h += "<td data-plugin=\"" + ui::esc(id) + "\">" + (enabled ? "enabled " : "disabled ") +
           ui::button_form(std::string(kPage) + "/" + id + "/spaces/" + sp.key,
                           (enabled ? "Disable " : "Enable ") + id + " in " + sp.key, csrf,
                           std::string("<input type=\"hidden\" name=\"enabled\" value=\"") +
                               (enabled ? "0" : "1") + "\">") +
           "</td>";
    }
    h += "</tr>";
  }
  return h + "</tbody></table></section>";
}

}  // namespace

std::string plugin_console_sections(ServerContext& ctx, const std::string& csrf) {
  if (csrf.empty()) return {};
  return install_section(ctx, csrf) + spaces_section(ctx, csrf);
}

void add_console_plugins_routes(Router& router, ServerContext& ctx) {
  router.add("POST", "/admin/plugins/install", [&ctx](Request& req) {
    auto g = guard(ctx, req, store::Action::plugin_approve);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    auto path = reconcile::bundle_in(ctx.runtime.config().plugins_dir, call.form["bundle"]);
    if (!path) return back_with_error(ctx, call, kPage, "Not installed: " + path.error().message);
    auto out = reconcile::install_plugin(ctx.runtime.store(), call.caller.who(), *path,
                                         call.form["allow_unsigned"] == "1");
    if (!out) return back_with_error(ctx, call, kPage, "Not installed: " + out.error().message);
    (void)ctx.runtime.apply_plugins();
    const auto& a = out->row;
    return back(ctx, call, kPage,
                std::string(out->added ? "Installed " : "Already installed: ") + a.plugin_id + " " +
                    a.version + " (" +
                    (a.signer.empty() ? std::string("UNSIGNED") : "signed by " + a.signer) +
                    "). It runs once approved.");
  });

  router.add("POST", "/admin/plugins/{id}/spaces/{space}", [&ctx](Request& req) {
    const std::string id = req.param("id");
    const std::string space = req.param("space");
    auto g = guard(ctx, req, store::Action::plugin_approve);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    const auto plugins = ctx.runtime.plugins();
    if (std::none_of(plugins.begin(), plugins.end(),
                     [&](const auto& p) { return p.manifest.id == id; })) {
      return back_with_error(ctx, call, kPage,
                             "No plugin '" + id.substr(0, 64) + "' is installed.");
    }
    const bool enable = call.form["enabled"] == "1";
    auto approvals = ctx.runtime.store().approvals();
    auto st = enable ? approvals.enable(call.caller.who(), space, id)
                     : approvals.disable(call.caller.who(), space, id);
    if (!st) return back_with_error(ctx, call, kPage, "Not changed: " + st.error().message);
    return back(ctx, call, kPage, id + (enable ? " enabled in " : " disabled in ") + space + ".");
  });
}

}  // namespace vitrine::server::console
