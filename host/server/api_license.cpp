// GET /api/v1/license: what the installed license allows, for any valid
// admin token (roles of every kind need to know why a licensed macro shows
// an error box).
#include <ctime>

#include "license/license.h"
#include "reconcile/license_ops.h"
#include "server/api_json.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/json_errors.h"

namespace vitrine::server {

void add_api_license_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/api/v1/license", [&ctx](Request& req) {
    auto auth = authenticate(ctx, req, Credentials::bearer);
    if (!auth.caller) return auth.refusal;
    auto o = new_object();
    auto current = ctx.runtime.license().current();
    o->set("licensed", current.has_value());
    if (current) {
      Poco::JSON::Array::Ptr features = new Poco::JSON::Array;
      for (const auto& f : current->features) features->add(f);
      o->set("licensee", current->licensee);
      o->set("license_id", current->license_id);
      o->set("features", features);
      o->set("max_spaces", current->max_spaces);
      o->set("not_before", time_value(current->not_before * 1000));
      o->set("expires", time_value(current->expires * 1000));
      o->set("key_id", current->key_id);
      o->set("dev", current->dev);
      o->set("expired", current->expires != 0 && current->expires < std::time(nullptr));
      o->set("days_left", current->expires == 0 ? Poco::Dynamic::Var()
                                                : Poco::Dynamic::Var(reconcile::days_left(
                                                      current->expires, std::time(nullptr))));
    }
    return json_response(200, to_json(o));
  });

  // Platform admins. Body: the license file (license.json) as received.
  // Verified, written to <data_dir>/license.json, audited and applied: the
  // same operation as `vitrine license install` and the console.
  router.add("PUT", "/api/v1/license", [&ctx](Request& req) {
    // A platform-wide setting: platform admins only (as for admin tokens).
    auto auth = authorize(ctx, req, Credentials::bearer, store::Action::admin_tokens, "");
    if (!auth.caller) return auth.refusal;
    if (req.media_type() != "application/json") {
      return json_error(415, "unsupported-media-type",
                        "send the license file as the body with 'Content-Type: application/json'");
    }
    const auto& cfg = ctx.runtime.config();
    auto r = reconcile::install_license_text(&ctx.runtime.store(), auth.caller->who(), req.body,
                                             cfg.data_dir, cfg.dev_mode, std::time(nullptr));
    if (!r.ok) return json_error(400, r.rule, r.reason);
    const std::string refused = ctx.runtime.apply_license();
    if (!refused.empty()) return json_error(409, "license-not-applied", refused);
    auto o = new_object();
    o->set("installed", r.license.license_id);
    o->set("licensee", r.license.licensee);
    o->set("expires", time_value(r.license.expires * 1000));
    o->set("days_left", reconcile::days_left(r.license.expires, std::time(nullptr)));
    return json_response(200, to_json(o));
  });
}

}  // namespace vitrine::server
