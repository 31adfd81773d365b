// Console: License. Shows the installed license (licensee, features, validity
// and days left) and installs a new one from its pasted text
// (reconcile::install_license_text, as `vitrine license install` and PUT
// /api/v1/license), applied to this host at once.
#include <ctime>

#include "license/license_files.h"
#include "reconcile/license_ops.h"
#include "server/ui_console.h"
#include "store/report.h"

namespace vitrine::server::console {
namespace {

constexpr const char* kPage = "/admin/license";

std::string current_section(ServerContext& ctx) {
  const auto& cfg = ctx.runtime.config();
  const int64_t now = std::time(nullptr);
  auto loaded = license::load_installed(cfg.data_dir, cfg.dev_mode, now);
  std::string h = "<section aria-labelledby=\"current\"><h2 id=\"current\">Installed license</h2>";
  if (!loaded.present) return h + "<p data-license=\"none\">No license is installed.</p></section>";
  if (!loaded.ok) {
    return h + "<p class=\"error-text\" role=\"alert\">The installed license is refused: " +
           ui::esc(loaded.reason) + " <code>[" + ui::esc(loaded.rule) + "]</code></p></section>";
  }
  const auto& l = loaded.license;
  std::string features;
  for (const auto& f : l.features) features += (features.empty() ? "" : ", ") + f;
  const int64_t days = reconcile::days_left(l.expires, now);
  h += "<table class=\"license\" data-license=\"" + ui::esc(l.license_id) +
       "\"><tbody>"
       "<tr><th>License</th><td>" +
       ui::esc(l.license_id) + (l.dev ? " (development)" : "") +
       "</td></tr><tr><th>Licensee</th><td>" + ui::esc(l.licensee) +
       "</td></tr><tr><th>Features</th><td>" + ui::esc(features.empty() ? "-" : features) +
       "</td></tr><tr><th>Max spaces</th><td>" +
       (l.max_spaces == 0 ? std::string("unlimited") : std::to_string(l.max_spaces)) +
       "</td></tr><tr><th>Valid</th><td>" + ui::esc(license::format_rfc3339(l.not_before)) +
       " to " + ui::esc(license::format_rfc3339(l.expires)) +
       "</td></tr><tr><th>Days left</th><td data-days-left=\"" + std::to_string(days) + "\">" +
       std::to_string(days) + "</td></tr></tbody></table>";
  if (days <= reconcile::kLicenseWarnDays) {
    h += "<p class=\"expiry error-text\" role=\"alert\">" +
         std::string(days < 0 ? "This license has expired."
                              : "This license expires within " +
                                    std::to_string(reconcile::kLicenseWarnDays) + " days.") +
         " Install its renewal below.</p>";
  }
  return h + "</section>";
}

}  // namespace

void add_console_license_routes(Router& router, ServerContext& ctx) {
  router.add("GET", kPage, [&ctx](Request& req) {
    auto page = open_page(ctx, req, store::Action::admin_tokens, "License");
    if (auto* r = std::get_if<Response>(&page)) return std::move(*r);
    auto& call = std::get<PageCall>(page);
    std::string h =
        "<h1>License</h1><p class=\"muted\">The same operations: <code>vitrine license "
        "install|show</code> and <code>/api/v1/license</code>.</p>" +
        current_section(ctx);
    if (!call.shell.csrf.empty()) {
      h += "<section aria-labelledby=\"install\"><h2 id=\"install\">Install a license</h2>"
           "<form method=\"post\" action=\"/admin/license\">" +
           ui::csrf_field(call.shell.csrf) +
           "<label for=\"license\">License file contents (license.json)</label><textarea "
           "id=\"license\" name=\"license\" required spellcheck=\"false\"></textarea><p><button "
           "type=\"submit\">Install license</button></p></form></section>";
    }
    call.shell.body_html = h;
    return ui::page(200, call.shell);
  });

  router.add("POST", kPage, [&ctx](Request& req) {
    auto g = guard(ctx, req, store::Action::admin_tokens);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    const auto& cfg = ctx.runtime.config();
    auto r = reconcile::install_license_text(&ctx.runtime.store(), call.caller.who(),
                                             call.form["license"], cfg.data_dir, cfg.dev_mode,
                                             std::time(nullptr));
    if (!r.ok) {
      return back_with_error(ctx, call, kPage,
                             "License not installed: " + r.reason + " [" + r.rule + "]");
    }
    const std::string refused = ctx.runtime.apply_license();
    if (!refused.empty()) {
      return back_with_error(
          ctx, call, kPage,
          "Installed license " + r.license.license_id + ", but this host refused it: " + refused);
    }
    return back(ctx, call, kPage,
                "Installed license " + r.license.license_id + " for " + r.license.licensee + "; " +
                    std::to_string(reconcile::days_left(r.license.expires, std::time(nullptr))) +
                    " days left.");
  });
}

}  // namespace vitrine::server::console
