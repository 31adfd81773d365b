// The platform admin's plugin page: every installed plugin version with its
// state, signer (UNSIGNED marked as such), library digest and, for a version
// awaiting approval, the permission diff against the running one; buttons
// to approve an awaiting version and to roll back to a standby one. Like the
// CLI and the JSON API (api_plugins.cpp) it only calls the shared
// desired-state operations (reconcile/plugin_ops.h, PluginStore::pin) and
// then applies them to this host at once; other hosts follow within a
// second. Forms POST, then redirect back with a one-shot notice; each POST
// passes the CSRF checks of csrf.h.
#include <openssl/crypto.h>

#include <algorithm>
#include <map>
#include <optional>

#include "manifest/manifest.h"
#include "reconcile/plugin_ops.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/csrf.h"
#include "server/ui/html.h"
#include "server/ui_console.h"
#include "store/plugin_store.h"

namespace vitrine::server {
namespace {

using store::Action;

constexpr const char* kPage = "/admin/plugins";

struct FormCall {
  Caller caller;
  std::map<std::string, std::string> form;
};

// Authorization (platform admins only), then the CSRF checks; the form is
// parsed once here.
std::variant<FormCall, Response> guard(ServerContext& ctx, Request& req) {
  auto auth = authorize(ctx, req, Credentials::browser, Action::plugin_approve, "");
  if (!auth.caller) return auth.refusal;
  auto form = parse_form(req.body);
  if (!req.body.empty()) OPENSSL_cleanse(req.body.data(), req.body.size());
  if (!auth.caller->session || !form_allowed(ctx, req, *auth.caller->session, form)) {
    return csrf_refusal();
  }
  return FormCall{std::move(*auth.caller), std::move(form)};
}

Response back(ServerContext& ctx, const FormCall& call, const std::string& notice) {
  ctx.sessions.set_flash(call.caller.session->id, notice);
  return redirect(kPage);
}

Response back_with_error(ServerContext& ctx, const FormCall& call, const std::string& message) {
  return back(ctx, call, ui::error_notice(message));
}

std::string signer_html(const store::ArtifactRow& a) {
  if (a.plugin_id.empty()) return "<span class=\"muted\">not installed</span>";
  if (a.signer.empty()) return "<span class=\"unsigned\">UNSIGNED</span>";
  return "signed by " + ui::esc(a.signer);
}

// Against the running version, or against nothing when none runs.
std::string diff_html(const std::vector<std::string>& diff, bool something_runs) {
  if (diff.empty()) {
    return something_runs ? "<p class=\"muted\">Permissions: the same as the running version.</p>"
                          : "<p class=\"muted\">Permissions: none requested.</p>";
  }
  std::string h = "<ul class=\"diff\" aria-label=\"permission changes\">";
  for (const auto& line : diff) {
    const char* cls = line.rfind("+ ", 0) == 0   ? "added"
                      : line.rfind("- ", 0) == 0 ? "removed"
                                                 : "";
    h += "<li class=\"" + std::string(cls) + "\">" + ui::esc(line) + "</li>";
  }
  return h + "</ul>";
}

// The version each plugin runs now, to word the standby button.
std::map<std::string, std::string> running_versions(const std::vector<runtime::PluginStatus>& ps) {
  std::map<std::string, std::string> out;
  for (const auto& p : ps) {
    if (p.running) out[p.manifest.id] = p.manifest.version;
  }
  return out;
}

std::string actions_html(const runtime::PluginStatus& p, const std::string& running,
                         const std::string& csrf) {
  const auto& a = p.artifact;
  if (a.plugin_id.empty() || csrf.empty()) return {};
  const std::string fields =
      "<input type=\"hidden\" name=\"version\" value=\"" + ui::esc(a.version) + "\">";
  const std::string base = std::string(kPage) + "/" + a.plugin_id;
  if (p.running) {
    // LC-6: the emergency stop. The reason is required and kept in the audit.
    const std::string field_id = "withdraw-reason-" + a.plugin_id;
    return ui::button_form(base + "/withdraw", "Withdraw approval", csrf,
                           "<label for=\"" + ui::esc(field_id) + "\">Reason</label> <input id=\"" +
                               ui::esc(field_id) +
                               "\" name=\"reason\" required maxlength=\"200\" size=\"18\">",
                           "danger");
  }
  if (p.state == "awaiting-approval" ||
      (p.state == "refused" && p.rule == "plugin-approval-withdrawn")) {
    return ui::button_form(base + "/approve", "Approve", csrf,
                           fields + "<input type=\"hidden\" name=\"library_sha256\" value=\"" +
                               ui::esc(a.library_sha256) + "\">");
  }
  if (p.state == "standby") {
    const bool older = running.empty() || store::version_less(a.version, running);
    return ui::button_form(base + "/rollback",
                           older ? "Roll back to this version" : "Run this version", csrf, fields);
  }
  return {};
}

std::string table_html(const std::vector<runtime::PluginStatus>& plugins, const std::string& csrf) {
  const auto running = running_versions(plugins);
  std::string h =
      "<table class=\"plugins\"><thead><tr><th>Plugin</th><th>Version</th><th>State</th>"
      "<th>Signature</th><th>Library sha256</th><th>Detail</th><th></th></tr></thead><tbody>";
  for (const auto& p : plugins) {
    const auto& a = p.artifact;
    const std::string id =
        p.manifest.id.empty() ? p.manifest.path.filename().string() : p.manifest.id;
    auto it = running.find(p.manifest.id);
    std::string detail = p.detail.empty() ? std::string() : "<p>" + ui::esc(p.detail) + "</p>";
    if (p.state == "awaiting-approval") detail += diff_html(p.diff, it != running.end());
    h += "<tr data-plugin=\"" + ui::esc(p.manifest.id) + "\" data-version=\"" +
         ui::esc(p.manifest.version) + "\" data-state=\"" + ui::esc(p.state) + "\"><td>" +
         ui::esc(id) + "</td><td>" + ui::esc(p.manifest.version) +
         "</td><td><span class=\"state state-" + ui::esc(p.state) + "\">" + ui::esc(p.state) +
         "</span>" + (p.rule.empty() ? "" : " <code>[" + ui::esc(p.rule) + "]</code>") +
         "</td><td>" + signer_html(a) + "</td><td><code class=\"digest\" title=\"" +
         ui::esc(a.library_sha256) + "\">" + ui::esc(a.library_sha256.substr(0, 12)) +
         "</code></td><td>" + detail + "</td><td>" +
         actions_html(p, it == running.end() ? "" : it->second, csrf) + "</td></tr>";
  }
  return h + "</tbody></table>";
}

// Where the artifact a form named stands after the change was applied.
std::optional<runtime::PluginStatus> status_of(ServerContext& ctx, const store::ArtifactRow& a) {
  for (auto& p : ctx.runtime.plugins()) {
    if (p.artifact.plugin_id == a.plugin_id && p.artifact.version == a.version &&
        p.artifact.library_sha256 == a.library_sha256 &&
        p.artifact.manifest_sha256 == a.manifest_sha256) {
      return p;
    }
  }
  return std::nullopt;
}

std::string label(const store::ArtifactRow& a) {
  return a.plugin_id + " " + a.version + " (" + (a.signer.empty() ? "UNSIGNED" : a.signer) +
         ", library sha256 " + a.library_sha256.substr(0, 12) + "...)";
}

}  // namespace

void add_plugin_ui_routes(Router& router, ServerContext& ctx) {
  router.add("GET", kPage, [&ctx](Request& req) {
    auto auth = authorize(ctx, req, Credentials::browser, Action::plugin_approve, "");
    if (!auth.caller) return auth.refusal;
    const std::string csrf = auth.caller->csrf();
    auto plugins = ctx.runtime.plugins();
    // Grouped by plugin; within one, the runtime's order (what runs first).
    std::stable_sort(plugins.begin(), plugins.end(),
                     [](const auto& x, const auto& y) { return x.manifest.id < y.manifest.id; });
    ui::Shell s;
    s.title = "Plugins";
    s.csrf = csrf;
    s.plugins_link = true;
    s.who = console::signed_in_text(ctx, *auth.caller);
    if (auth.caller->session) s.flash = ctx.sessions.take_flash(*auth.caller->session);
    s.body_html =
        "<h1>Plugins</h1><p class=\"muted\">Every installed plugin version. A newer version "
        "waits for approval of its exact files and permissions while the approved one keeps "
        "running; an approved version that does not run is on standby, and rolling back to it "
        "needs no new approval; withdrawing an approval stops every version of the plugin. The "
        "same operations: <code>vitrine plugins status|approve|rollback|withdraw</code> and "
        "<code>/api/v1/plugins</code>.</p>";
    if (plugins.empty()) {
      s.body_html += "<p>No plugin is installed.</p>";
    } else {
      s.body_html += table_html(plugins, csrf);
    }
    s.body_html += console::plugin_console_sections(ctx, csrf);
    if (csrf.empty()) {
      // Bearer-only visitors (scripts) get the view without forms: the forms
      // need a browser session for their CSRF token.
      s.body_html += "<p class=\"muted\">Log in through /login to approve or roll back.</p>";
    }
    return ui::page(200, s);
  });

  // Form: version, library_sha256 (the exact artifact the row showed).
  router.add("POST", std::string(kPage) + "/{id}/approve", [&ctx](Request& req) {
    const std::string id = req.param("id");
    auto g = guard(ctx, req);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    if (!manifest::valid_plugin_id(id)) {
      return back_with_error(ctx, call, "No plugin '" + id.substr(0, 64) + "' is installed.");
    }
    reconcile::ArtifactChoice choice{id, call.form["version"], call.form["library_sha256"]};
    auto out = reconcile::approve_artifact(ctx.runtime.store(), call.caller.who(), choice, false);
    if (!out) return back_with_error(ctx, call, "Not approved: " + out.error().message);
    const auto& a = out->artifact.row;
    if (out->already_approved) {
      return back(ctx, call, label(a) + " was already approved; nothing changed.");
    }
    // This host applies it now; the others within a second.
    const std::string apply_error = ctx.runtime.apply_plugins();
    auto now = status_of(ctx, a);
    if (!apply_error.empty() || !now) {
      return back_with_error(ctx, call,
                             "Approved " + label(a) + ", but this host could not apply it: " +
                                 (apply_error.empty() ? "it is no longer installed" : apply_error));
    }
    if (now->state == "refused") {
      return back_with_error(ctx, call,
                             "Approved " + label(a) + ", but it was refused when loaded: " +
                                 now->detail + " The version that ran before keeps running.");
    }
    return back(ctx, call,
                "Approved " + label(a) + "; it is " + now->state +
                    (now->running ? " now." : " (" + now->detail + ")."));
  });

  // Form: reason. Withdraws every approval of the plugin in force (LC-6).
  router.add("POST", std::string(kPage) + "/{id}/withdraw", [&ctx](Request& req) {
    const std::string id = req.param("id");
    auto g = guard(ctx, req);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    if (!manifest::valid_plugin_id(id)) {
      return back_with_error(ctx, call, "No plugin '" + id.substr(0, 64) + "' is installed.");
    }
    auto n = ctx.runtime.store().approvals().withdraw(call.caller.who(), id, call.form["reason"]);
    if (!n) return back_with_error(ctx, call, "Not withdrawn: " + n.error().message);
    const std::string apply_error = ctx.runtime.apply_plugins();
    if (!apply_error.empty()) {
      return back_with_error(ctx, call,
                             "Withdrew the approval of " + id +
                                 ", but this host could not apply it yet: " + apply_error);
    }
    return back(ctx, call,
                "Withdrew the approval of " + id +
                    "; no version of it runs now. Approving a version lets it run again.");
  });

  // Form: version (an approved version of the plugin).
  router.add("POST", std::string(kPage) + "/{id}/rollback", [&ctx](Request& req) {
    const std::string id = req.param("id");
    auto g = guard(ctx, req);
    if (auto* r = std::get_if<Response>(&g)) return std::move(*r);
    auto& call = std::get<FormCall>(g);
    if (!manifest::valid_plugin_id(id)) {
      return back_with_error(ctx, call, "No plugin '" + id.substr(0, 64) + "' is installed.");
    }
    const std::string version = call.form["version"];
    if (version.empty()) {
      return back_with_error(ctx, call, "Not rolled back: the form named no version.");
    }
    auto st = ctx.runtime.store().plugin_store().pin(call.caller.who(), id, version);
    if (!st) return back_with_error(ctx, call, "Not rolled back: " + st.error().message);
    const std::string apply_error = ctx.runtime.apply_plugins();
    if (!apply_error.empty()) {
      return back_with_error(
          ctx, call,
          "Pinned " + id + " to " + version + ", but this host could not apply it: " + apply_error);
    }
    for (const auto& p : ctx.runtime.plugins()) {
      if (p.running && p.manifest.id == id) {
        if (p.manifest.version == version) {
          return back(ctx, call, id + " " + version + " runs again (rolled back).");
        }
        return back_with_error(ctx, call,
                               "Pinned " + id + " to " + version + ", but " + p.manifest.version +
                                   " still runs: the pinned version could not be loaded.");
      }
    }
    return back_with_error(ctx, call,
                           "Pinned " + id + " to " + version + ", but no version of it runs now.");
  });
}

}  // namespace vitrine::server
