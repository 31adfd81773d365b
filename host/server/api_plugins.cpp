// Plugin administration: the platform admin's list (state, permissions,
// the pending permission diff) and approval; the space admin's per-space
// enable / disable. Approvals and enablement audit themselves in the store.
#include "server/api_json.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/json_errors.h"
#include "store/approvals.h"

namespace vitrine::server {
namespace {

using store::Action;

Poco::JSON::Array::Ptr strings(const std::vector<std::string>& items) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  for (const auto& s : items) a->add(s);
  return a;
}

const runtime::PluginStatus* find_plugin(ServerContext& ctx, const std::string& id) {
  for (const auto& p : ctx.runtime.plugins()) {
    if (p.manifest.id == id) return &p;
  }
  return nullptr;
}

Response unknown_plugin(const std::string& id) {
  return json_error(404, "not-found",
                    "no plugin '" + id.substr(0, 64) +
                        "' is installed; GET /api/v1/plugins lists the installed plugins");
}

Response set_enabled(ServerContext& ctx, Request& req, bool enable) {
  const std::string space = req.param("space");
  const std::string id = req.param("id");
  auto auth = authorize(ctx, req, Credentials::bearer, Action::plugin_enable, space);
  if (!auth.caller) return auth.refusal;
  if (!is_slug(id, 64) || find_plugin(ctx, id) == nullptr) return unknown_plugin(id);
  auto approvals = ctx.runtime.store().approvals();
  auto st = enable ? approvals.enable(auth.caller->who(), space, id)
                   : approvals.disable(auth.caller->who(), space, id);
  if (!st) return json_error(st.error());
  auto o = new_object();
  o->set("space", space);
  o->set("plugin", id);
  o->set("enabled", enable);
  return json_response(200, to_json(o));
}

}  // namespace

void add_api_plugins_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/api/v1/plugins", [&ctx](Request& req) {
    // plugin_approve is the platform-wide plugin administration right.
    auto auth = authorize(ctx, req, Credentials::bearer, Action::plugin_approve, "");
    if (!auth.caller) return auth.refusal;
    auto approvals = ctx.runtime.store().approvals();
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& p : ctx.runtime.plugins()) {
      const auto& m = p.manifest;
      auto o = new_object();
      o->set("id", m.id);
      o->set("version", m.version);
      o->set("state", p.state);
      o->set("detail", text_or_null(p.detail));
      std::vector<std::string> macros;
      std::vector<std::string> egress;
      for (const auto& macro : m.macros) macros.push_back(macro.key);
      for (const auto& e : m.egress) {
        egress.push_back(e.text + (e.customer_managed ? " (customer-managed)" : ""));
      }
      o->set("macros", strings(macros));
      o->set("scopes", strings(m.scopes));
      o->set("egress", strings(egress));
      auto diff = approvals.diff(m);
      o->set("pending_diff", diff ? strings(*diff) : strings({}));
      list->add(o);
    }
    auto root = new_object();
    root->set("plugins", list);
    return json_response(200, to_json(root));
  });

  router.add("POST", "/api/v1/plugins/{id}/approve", [&ctx](Request& req) {
    auto auth = authorize(ctx, req, Credentials::bearer, Action::plugin_approve, "");
    if (!auth.caller) return auth.refusal;
    const std::string id = req.param("id");
    const auto* plugin = is_slug(id, 64) ? find_plugin(ctx, id) : nullptr;
    if (plugin == nullptr) return unknown_plugin(id);
    auto row = ctx.runtime.store().approvals().approve(auth.caller->who(), plugin->manifest);
    if (!row) return json_error(row.error());
    auto o = new_object();
    o->set("plugin", row->plugin_id);
    o->set("version", row->version);
    o->set("permissions_hash", row->permissions_hash);
    o->set("approved_at", time_value(row->approved_at_ms));
    o->set("approved_by", row->approved_by);
    // The runtime decides which plugins run when it opens; a plugin that was
    // waiting for this approval starts with the next host start.
    o->set("restart_required", !plugin->running);
    return json_response(200, to_json(o));
  });

  router.add("PUT", "/api/v1/spaces/{space}/plugins/{id}",
             [&ctx](Request& req) { return set_enabled(ctx, req, true); });
  router.add("DELETE", "/api/v1/spaces/{space}/plugins/{id}",
             [&ctx](Request& req) { return set_enabled(ctx, req, false); });
}

}  // namespace vitrine::server
