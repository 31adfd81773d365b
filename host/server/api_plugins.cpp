// Plugin administration: the platform admin's list (every installed version
// with its state, digests, signer and pending permission diff), approval of
// an installed artifact and rollback; the space admin's per-space enable /
// disable. Each writes desired state only (reconcile/plugin_ops.h) and then
// applies it to this host at once; other hosts follow within a second.
#include "manifest/manifest.h"
#include "reconcile/plugin_install.h"
#include "reconcile/plugin_ops.h"
#include "server/api_json.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/json_errors.h"
#include "store/approvals.h"
#include "store/plugin_store.h"
#include "store/report.h"
#include "store/usage.h"

namespace vitrine::server {
namespace {

using store::Action;

Poco::JSON::Array::Ptr strings(const std::vector<std::string>& items) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  for (const auto& s : items) a->add(s);
  return a;
}

// A non-empty string member of the request's JSON body, or the 400 that
// says what to send (`hint`) or what was wrong with it.
std::variant<std::string, Response> required_string(Request& req, const std::string& member,
                                                    const std::string& hint) {
  auto body = read_json_object(req);
  if (auto* r = std::get_if<Response>(&body)) return std::move(*r);
  std::string error;
  auto value = string_member(std::get<JsonObject>(body), member, error);
  if (!value || value->empty()) return json_error(400, "invalid", error.empty() ? hint : error);
  return *value;
}

bool installed(ServerContext& ctx, const std::string& id) {
  for (const auto& p : ctx.runtime.plugins()) {
    if (p.manifest.id == id) return true;
  }
  return false;
}

Response unknown_plugin(const std::string& id) {
  return json_error(404, "not-found",
                    "no plugin '" + id.substr(0, 64) +
                        "' is installed; GET /api/v1/plugins lists the installed plugins");
}

std::string signer_of(const store::ArtifactRow& a) {
  return a.signer.empty() ? "unsigned" : a.signer;
}

// Optional JSON body members; an empty body is {}.
std::variant<JsonObject, Response> optional_body(Request& req) {
  if (req.body.empty()) return new_object();
  return read_json_object(req);
}

Response set_enabled(ServerContext& ctx, Request& req, bool enable) {
  const std::string space = req.param("space");
  const std::string id = req.param("id");
  auto auth = authorize(ctx, req, Credentials::bearer, Action::plugin_enable, space);
  if (!auth.caller) return auth.refusal;
  if (!manifest::valid_plugin_id(id) || !installed(ctx, id)) return unknown_plugin(id);
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
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& p : ctx.runtime.plugins()) {
      const auto& m = p.manifest;
      auto o = new_object();
      o->set("id", m.id);
      o->set("version", m.version);
      o->set("state", p.state);
      o->set("rule", text_or_null(p.rule));
      o->set("detail", text_or_null(p.detail));
      o->set("library_sha256", text_or_null(p.artifact.library_sha256));
      o->set("manifest_sha256", text_or_null(p.artifact.manifest_sha256));
      o->set("signed_by", p.artifact.plugin_id.empty() ? Poco::Dynamic::Var()
                                                       : Poco::Dynamic::Var(signer_of(p.artifact)));
      std::vector<std::string> macros;
      std::vector<std::string> egress;
      for (const auto& macro : m.macros) macros.push_back(macro.key);
      for (const auto& e : m.egress) {
        egress.push_back(e.text + (e.customer_managed ? " (customer-managed)" : ""));
      }
      o->set("macros", strings(macros));
      o->set("scopes", strings(m.scopes));
      o->set("egress", strings(egress));
      o->set("pending_diff", strings(p.diff));
      list->add(o);
    }
    auto root = new_object();
    root->set("plugins", list);
    return json_response(200, to_json(root));
  });

  // The bundles the server could install: NAME.vitrine-plugin files in its
  // configured plugins directory (reconcile/plugin_install.h says why only
  // there).
  router.add("GET", "/api/v1/plugins/bundles", [&ctx](Request& req) {
    auto auth = authorize(ctx, req, Credentials::bearer, Action::plugin_approve, "");
    if (!auth.caller) return auth.refusal;
    auto o = new_object();
    o->set("bundles", strings(reconcile::bundles_in(ctx.runtime.config().plugins_dir)));
    return json_response(200, to_json(o));
  });

  // Body: {"bundle": "NAME.vitrine-plugin", "allow_unsigned": false}. The
  // same operation as `vitrine plugins install` and the console; the version
  // runs once approved.
  router.add("POST", "/api/v1/plugins", [&ctx](Request& req) {
    auto auth = authorize(ctx, req, Credentials::bearer, Action::plugin_approve, "");
    if (!auth.caller) return auth.refusal;
    auto body = read_json_object(req);
    if (auto* r = std::get_if<Response>(&body)) return std::move(*r);
    const auto& in = std::get<JsonObject>(body);
    std::string error;
    auto name = string_member(in, "bundle", error);
    if (!error.empty()) return json_error(400, "invalid", error);
    if (!name) {
      return json_error(400, "invalid",
                        "send {\"bundle\": \"NAME.vitrine-plugin\"}: a bundle file of the "
                        "server's plugins directory (GET /api/v1/plugins/bundles)");
    }
    bool allow_unsigned = false;
    if (in->has("allow_unsigned") && !in->isNull("allow_unsigned")) {
      if (!in->get("allow_unsigned").isBoolean()) {
        return json_error(400, "invalid", "'allow_unsigned' must be true or false");
      }
      allow_unsigned = in->getValue<bool>("allow_unsigned");
    }
    auto path = reconcile::bundle_in(ctx.runtime.config().plugins_dir, *name);
    if (!path) return json_error(path.error());
    auto out =
        reconcile::install_plugin(ctx.runtime.store(), auth.caller->who(), *path, allow_unsigned);
    if (!out) return json_error(out.error());
    (void)ctx.runtime.apply_plugins();
    const auto& a = out->row;
    auto o = new_object();
    o->set("plugin", a.plugin_id);
    o->set("version", a.version);
    o->set("library_sha256", a.library_sha256);
    o->set("signed_by", signer_of(a));
    o->set("added", out->added);
    return json_response(200, to_json(o));
  });

  // Body (optional): {"version": "1.1.0", "library_sha256": "...", "dry_run": false}
  router.add("POST", "/api/v1/plugins/{id}/approve", [&ctx](Request& req) {
    auto auth = authorize(ctx, req, Credentials::bearer, Action::plugin_approve, "");
    if (!auth.caller) return auth.refusal;
    const std::string id = req.param("id");
    if (!manifest::valid_plugin_id(id)) return unknown_plugin(id);
    auto body = optional_body(req);
    if (auto* r = std::get_if<Response>(&body)) return std::move(*r);
    const auto& o_in = std::get<JsonObject>(body);
    std::string error;
    reconcile::ArtifactChoice choice{id, string_member(o_in, "version", error).value_or(""),
                                     string_member(o_in, "library_sha256", error).value_or("")};
    if (!error.empty()) return json_error(400, "invalid", error);
    const bool dry_run = o_in->has("dry_run") && o_in->getValue<bool>("dry_run");
    auto out =
        reconcile::approve_artifact(ctx.runtime.store(), auth.caller->who(), choice, dry_run);
    if (!out) return json_error(out.error());
    // This host applies it now; the others within a second.
    if (out->approval) (void)ctx.runtime.apply_plugins();
    const auto& a = out->artifact.row;
    auto o = new_object();
    o->set("plugin", a.plugin_id);
    o->set("version", a.version);
    o->set("library_sha256", a.library_sha256);
    o->set("signed_by", signer_of(a));
    o->set("running_before", text_or_null(out->running_version));
    o->set("diff", strings(out->diff));
    o->set("approved", out->approval.has_value() || out->already_approved);
    o->set("already_approved", out->already_approved);
    o->set("dry_run", dry_run);
    if (out->approval) {
      o->set("approved_at", time_value(out->approval->approved_at_ms));
      o->set("approved_by", out->approval->approved_by);
    }
    return json_response(200, to_json(o));
  });

  // Body: {"to": "1.0.0"}
  router.add("POST", "/api/v1/plugins/{id}/rollback", [&ctx](Request& req) {
    auto auth = authorize(ctx, req, Credentials::bearer, Action::plugin_approve, "");
    if (!auth.caller) return auth.refusal;
    const std::string id = req.param("id");
    if (!manifest::valid_plugin_id(id)) return unknown_plugin(id);
    auto to = required_string(req, "to", "send {\"to\": \"VERSION\"}: an approved version");
    if (auto* r = std::get_if<Response>(&to)) return std::move(*r);
    auto st =
        ctx.runtime.store().plugin_store().pin(auth.caller->who(), id, std::get<std::string>(to));
    if (!st) return json_error(st.error());
    (void)ctx.runtime.apply_plugins();
    auto o = new_object();
    o->set("plugin", id);
    o->set("version", std::get<std::string>(to));
    o->set("pinned", true);
    return json_response(200, to_json(o));
  });

  // Withdraws the plugin's approval (LC-6): it stops on every host.
  router.add("POST", "/api/v1/plugins/{id}/withdraw", [&ctx](Request& req) {
    auto auth = authorize(ctx, req, Credentials::bearer, Action::plugin_approve, "");
    if (!auth.caller) return auth.refusal;
    const std::string id = req.param("id");
    if (!manifest::valid_plugin_id(id)) return unknown_plugin(id);
    auto reason = required_string(
        req, "reason",
        "send {\"reason\": \"TEXT\"}: why the approval is withdrawn (kept in the audit)");
    if (auto* r = std::get_if<Response>(&reason)) return std::move(*r);
    auto n = ctx.runtime.store().approvals().withdraw(auth.caller->who(), id,
                                                      std::get<std::string>(reason));
    if (!n) return json_error(n.error());
    (void)ctx.runtime.apply_plugins();
    auto o = new_object();
    o->set("plugin", id);
    o->set("withdrawn", *n);
    return json_response(200, to_json(o));
  });

  // Least-privilege report (store/usage.h) of the running version, or of the
  // newest installed one when none runs. ?space=KEY&since=7d narrow the rows.
  router.add("GET", "/api/v1/plugins/{id}/usage", [&ctx](Request& req) {
    auto auth = authorize(ctx, req, Credentials::bearer, Action::plugin_approve, "");
    if (!auth.caller) return auth.refusal;
    const std::string id = req.param("id");
    if (!manifest::valid_plugin_id(id)) return unknown_plugin(id);
    int64_t since_ms = 0;
    if (auto since = req.query_param("since")) {
      auto parsed = store::parse_since(*since, store::system_now_ms());
      if (!parsed) return json_error(400, "invalid", parsed.error().message);
      since_ms = *parsed;
    }
    std::optional<manifest::Manifest> declared;
    for (const auto& p : ctx.runtime.plugins()) {
      if (p.manifest.id != id || p.artifact.plugin_id.empty()) continue;
      if (p.running) {
        declared = p.manifest;
        break;
      }
      if (!declared || store::version_less(declared->version, p.manifest.version)) {
        declared = p.manifest;
      }
    }
    if (!declared) return unknown_plugin(id);
    auto space = req.query_param("space");
    if (space && space->empty()) space.reset();
    auto report = store::plugin_usage(ctx.runtime.store().audit(), *declared, space, since_ms);
    if (!report) return json_error(report.error());
    return json_response(200, store::format_usage_json(*report));
  });

  router.add("PUT", "/api/v1/spaces/{space}/plugins/{id}",
             [&ctx](Request& req) { return set_enabled(ctx, req, true); });
  router.add("DELETE", "/api/v1/spaces/{space}/plugins/{id}",
             [&ctx](Request& req) { return set_enabled(ctx, req, false); });
}

}  // namespace vitrine::server
