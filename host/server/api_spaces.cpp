// Admin API for spaces: list, show, the write-only Grafana token (set,
// rotate, revoke; never returned) and the connection test. The store
// services audit every action themselves (P9).
#include <openssl/crypto.h>

#include "reconcile/space_ops.h"
#include "server/api_json.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/json_errors.h"
#include "store/spaces.h"

namespace vitrine::server {
namespace {

using store::Action;

JsonObject space_summary(const store::SpaceRow& s) {
  auto o = new_object();
  o->set("key", s.key);
  o->set("id", s.id);
  o->set("display_name", s.display_name);
  o->set("grafana_origin", text_or_null(s.grafana_origin));
  o->set("created_at", time_value(s.created_at_ms));
  return o;
}

JsonObject token_json(const store::TokenStatus& t) {
  auto o = new_object();
  o->set("configured", t.configured);
  o->set("set_at", time_value(t.set_at_ms));
  o->set("set_by", text_or_null(t.set_by));
  o->set("origin", text_or_null(t.origin));
  o->set("key_id", text_or_null(t.key_id));
  return o;
}

// Reads {"token": "..."} and wipes the request body copy of it.
std::variant<store::crypto::SecretString, Response> token_from(Request& request) {
  auto parsed = read_json_object(request);
  if (!request.body.empty()) OPENSSL_cleanse(request.body.data(), request.body.size());
  if (auto* r = std::get_if<Response>(&parsed)) return std::move(*r);
  std::string error;
  auto token = string_member(std::get<JsonObject>(parsed), "token", error);
  if (!token || token->empty()) {
    return json_error(400, "invalid",
                      error.empty() ? "send {\"token\": \"glsa_...\"}: a Grafana service-account "
                                      "token for the space's Grafana"
                                    : error);
  }
  store::crypto::SecretString secret(std::move(*token));
  return secret;
}

Response token_answer(ServerContext& ctx, const std::string& space) {
  auto status = ctx.runtime.store().spaces().token_status(space);
  if (!status) return json_error(status.error());
  auto o = new_object();
  o->set("space", space);
  o->set("token", token_json(*status));
  return json_response(200, to_json(o));
}

}  // namespace

void add_api_spaces_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/api/v1/spaces", [&ctx](Request& req) {
    auto auth = authenticate(ctx, req, Credentials::bearer);
    if (!auth.caller) return auth.refusal;
    auto spaces = ctx.runtime.store().spaces();
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    const auto& role = auth.caller->principal.role;
    if (role.kind == store::Role::Kind::platform_admin) {
      auto all = spaces.list();
      if (!all) return json_error(all.error());
      for (const auto& s : *all) list->add(space_summary(s));
    } else if (auto own = spaces.show(role.space)) {
      list->add(space_summary(own->space));
    }
    auto o = new_object();
    o->set("spaces", list);
    return json_response(200, to_json(o));
  });

  router.add("GET", "/api/v1/spaces/{space}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::space_show, space);
    if (!auth.caller) return auth.refusal;
    auto view = ctx.runtime.store().spaces().show(space);
    if (!view) return json_error(view.error());
    auto o = space_summary(view->space);
    o->set("created_by", view->space.created_by);
    auto grafana = new_object();
    grafana->set("origin", view->space.grafana_origin);
    grafana->set("allow_private", view->space.grafana_allow_private);
    grafana->set("connected_at", time_value(view->space.connected_at_ms));
    grafana->set("connected_by", view->space.connected_by);
    o->set("grafana", grafana);
    Poco::JSON::Array::Ptr origins = new Poco::JSON::Array;
    for (const auto& c : view->customer_origins) {
      auto co = new_object();
      co->set("origin", c.origin);
      co->set("plugin", c.plugin_id);
      co->set("entry", c.entry);
      co->set("allow_private", c.allow_private);
      co->set("approved_at", time_value(c.approved_at_ms));
      co->set("approved_by", c.approved_by);
      origins->add(co);
    }
    o->set("customer_origins", origins);
    Poco::JSON::Array::Ptr enabled = new Poco::JSON::Array;
    for (const auto& e : view->enabled_plugins) {
      auto eo = new_object();
      eo->set("plugin", e.plugin_id);
      eo->set("enabled_at", time_value(e.enabled_at_ms));
      eo->set("enabled_by", e.enabled_by);
      enabled->add(eo);
    }
    o->set("enabled_plugins", enabled);
    // Token status (never the token) only for those who may manage it.
    if (permits(ctx, *auth.caller, Action::token_status, space)) {
      o->set("token", token_json(view->token));
    }
    return json_response(200, to_json(o));
  });

  // Platform admins. Body: {"key": "docs", "name": "Documentation"}; the
  // same store call as `vitrine spaces create` and the console.
  router.add("POST", "/api/v1/spaces", [&ctx](Request& req) {
    auto auth = authorize(ctx, req, Credentials::bearer, Action::space_create, "");
    if (!auth.caller) return auth.refusal;
    auto body = read_json_object(req);
    if (auto* r = std::get_if<Response>(&body)) return std::move(*r);
    std::string error;
    auto key = string_member(std::get<JsonObject>(body), "key", error);
    auto name = string_member(std::get<JsonObject>(body), "name", error);
    if (!error.empty()) return json_error(400, "invalid", error);
    if (!key) return json_error(400, "invalid", "send {\"key\": \"SPACE\", \"name\": \"...\"}");
    auto row = ctx.runtime.store().spaces().create(auth.caller->who(), *key, name.value_or(""));
    if (!row) return json_error(row.error());
    return json_response(200, to_json(space_summary(*row)));
  });

  // Platform admins: the approval of the space's Grafana origin. Body:
  // {"origin": "https://HOST[:PORT]", "customer_managed": false, "plugin": "",
  //  "entry": "", "allow_private": false}; the same operation as `vitrine
  // spaces connect` and the console (reconcile/space_ops.h).
  router.add("POST", "/api/v1/spaces/{space}/connect", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::space_connect, space);
    if (!auth.caller) return auth.refusal;
    auto body = read_json_object(req);
    if (auto* r = std::get_if<Response>(&body)) return std::move(*r);
    const auto& in = std::get<JsonObject>(body);
    std::string error;
    store::ConnectRequest c;
    c.origin = string_member(in, "origin", error).value_or("");
    c.plugin_id = string_member(in, "plugin", error).value_or("");
    c.entry = string_member(in, "entry", error).value_or("");
    for (const auto& [name, flag] :
         {std::pair<const char*, bool*>{"customer_managed", &c.customer_managed},
          {"allow_private", &c.allow_private}}) {
      if (!in->has(name) || in->isNull(name)) continue;
      if (!in->get(name).isBoolean()) {
        error = std::string("'") + name + "' must be true or false";
      } else {
        *flag = in->getValue<bool>(name);
      }
    }
    if (!error.empty()) return json_error(400, "invalid", error);
    if (c.origin.empty()) {
      return json_error(400, "invalid", "send {\"origin\": \"https://STACK.grafana.net\"}");
    }
    auto out = reconcile::connect_space(ctx.runtime.store(), auth.caller->who(), space, c);
    if (!out) return json_error(out.error());
    auto o = space_summary(out->space);
    o->set("allow_private", out->space.grafana_allow_private);
    o->set("token_removed", !out->removed_token_origin.empty());
    return json_response(200, to_json(o));
  });

  // Platform admins. The same deletion as `vitrine spaces delete`: the
  // space's admin tokens are revoked in its transaction (so their browser
  // sessions end at their next request) and its pages go to the trash.
  router.add("DELETE", "/api/v1/spaces/{space}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::space_delete, space);
    if (!auth.caller) return auth.refusal;
    const std::string purge = req.query_param("purge").value_or("false");
    if (purge != "true" && purge != "false") {
      return json_error(400, "invalid", "'purge' must be true or false");
    }
    store::RemoveOptions opts;
    // No pages directory configured (an API-only server): database rows only.
    if (!ctx.options.pages_dir.empty())
      opts.files = store::SpaceFiles::beside(ctx.options.pages_dir);
    opts.purge = purge == "true";
    auto r = ctx.runtime.store().spaces().remove(auth.caller->who(), space, opts);
    if (!r) return json_error(r.error());
    auto o = new_object();
    o->set("deleted", space);
    o->set("id", r->id);
    Poco::JSON::Array::Ptr tokens = new Poco::JSON::Array;
    for (const auto& t : r->tokens) tokens->add(t);
    o->set("tokens_revoked", tokens);
    o->set("pages", std::string(r->purged ? "purged" : r->trashed.empty() ? "none" : "trash"));
    o->set("trash",
           text_or_null(r->trashed.empty() ? std::string() : r->trashed.filename().string()));
    if (!r->warning.empty()) o->set("warning", r->warning);
    return json_response(200, to_json(o));
  });

  router.add("PUT", "/api/v1/spaces/{space}/token", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::token_set, space);
    if (!auth.caller) return auth.refusal;
    auto token = token_from(req);
    if (auto* r = std::get_if<Response>(&token)) return std::move(*r);
    auto st = ctx.runtime.store().spaces().set_token(
        auth.caller->who(), space, std::get<store::crypto::SecretString>(std::move(token)));
    if (!st) return json_error(st.error());
    return token_answer(ctx, space);
  });

  router.add("POST", "/api/v1/spaces/{space}/token/rotate", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::token_set, space);
    if (!auth.caller) return auth.refusal;
    auto token = token_from(req);
    if (auto* r = std::get_if<Response>(&token)) return std::move(*r);
    auto st = ctx.runtime.store().spaces().rotate_token(
        auth.caller->who(), space, std::get<store::crypto::SecretString>(std::move(token)));
    if (!st) return json_error(st.error());
    return token_answer(ctx, space);
  });

  router.add("DELETE", "/api/v1/spaces/{space}/token", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::token_set, space);
    if (!auth.caller) return auth.refusal;
    auto st = ctx.runtime.store().spaces().revoke_token(auth.caller->who(), space);
    if (!st) return json_error(st.error());
    return token_answer(ctx, space);
  });

  router.add("POST", "/api/v1/spaces/{space}/test-connection", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::test_connection, space);
    if (!auth.caller) return auth.refusal;
    // The runtime performs the request through the egress path and the
    // store records it in the space's audit log.
    const auto result = ctx.runtime.test_connection(auth.caller->who(), space);
    auto o = new_object();
    o->set("ok", result.ok);
    o->set("http_status", result.http_status);
    o->set("message", result.message);
    return json_response(200, to_json(o));
  });
}

}  // namespace vitrine::server
