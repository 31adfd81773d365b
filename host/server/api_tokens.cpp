// Admin API tokens over the JSON API (platform admins): list (never the
// tokens or their hashes), create (the token is in the answer once) and
// revoke. The same store calls as `vitrine tokens create|list|revoke` and the
// console's Tokens page; the store audits each ("admin_token.*").
#include <openssl/crypto.h>

#include "server/api_json.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/json_errors.h"

namespace vitrine::server {
namespace {

using store::Action;

JsonObject admin_token_json(const store::AdminTokenRow& r) {
  auto o = new_object();
  o->set("id", r.id);
  o->set("name", text_or_null(r.name));
  o->set("role", r.role);
  o->set("created_at", time_value(r.created_at_ms));
  o->set("created_by", r.created_by);
  o->set("expires_at", time_value(r.expires_at_ms));
  o->set("last_used_at", time_value(r.last_used_at_ms));
  o->set("revoked_at", time_value(r.revoked_at_ms));
  const bool expired = r.expires_at_ms != 0 && r.expires_at_ms <= store::system_now_ms();
  o->set("state", std::string(r.revoked_at_ms ? "revoked" : expired ? "expired" : "active"));
  return o;
}

}  // namespace

void add_api_tokens_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/api/v1/tokens", [&ctx](Request& req) {
    auto auth = authorize(ctx, req, Credentials::bearer, Action::admin_tokens, "");
    if (!auth.caller) return auth.refusal;
    auto rows = ctx.runtime.store().admin_tokens().list();
    if (!rows) return json_error(rows.error());
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& r : *rows) list->add(admin_token_json(r));
    auto o = new_object();
    o->set("tokens", list);
    return json_response(200, to_json(o));
  });

  // Body: {"role": "viewer:docs", "name": "ci-export", "expires_in_days": 90}
  router.add("POST", "/api/v1/tokens", [&ctx](Request& req) {
    auto auth = authorize(ctx, req, Credentials::bearer, Action::admin_tokens, "");
    if (!auth.caller) return auth.refusal;
    auto body = read_json_object(req);
    if (auto* r = std::get_if<Response>(&body)) return std::move(*r);
    const auto& in = std::get<JsonObject>(body);
    std::string error;
    auto role = string_member(in, "role", error);
    auto name = string_member(in, "name", error);
    if (!error.empty()) return json_error(400, "invalid", error);
    if (!role || role->empty()) {
      return json_error(
          400, "invalid",
          "send {\"role\": \"platform-admin | space-admin:SPACE | editor:SPACE | viewer:SPACE\"}");
    }
    int64_t expires_at = 0;
    if (in->has("expires_in_days") && !in->isNull("expires_in_days")) {
      auto v = in->get("expires_in_days");
      int64_t days = 0;
      if (v.isInteger()) days = v.convert<int64_t>();
      if (days < 1 || days > 3650) {
        return json_error(400, "invalid",
                          "'expires_in_days' must be a whole number from 1 to 3650");
      }
      expires_at = store::system_now_ms() + days * 86'400'000;
    }
    auto t = ctx.runtime.store().admin_tokens().create(auth.caller->who(), *role, name.value_or(""),
                                                       expires_at);
    if (!t) return json_error(t.error());
    auto o = admin_token_json(t->row);
    // The only time the token is sent anywhere: the answer to its creator.
    o->set("token", std::string(t->token.view()));
    return json_response(200, to_json(o));
  });

  router.add("DELETE", "/api/v1/tokens/{id}", [&ctx](Request& req) {
    auto auth = authorize(ctx, req, Credentials::bearer, Action::admin_tokens, "");
    if (!auth.caller) return auth.refusal;
    const std::string id = req.param("id");
    auto st = ctx.runtime.store().admin_tokens().revoke(auth.caller->who(), id);
    if (!st) return json_error(st.error());
    auto o = new_object();
    o->set("revoked", id);
    return json_response(200, to_json(o));
  });
}

}  // namespace vitrine::server
