// GET /api/v1/license: what the installed license allows, for any valid
// admin token (roles of every kind need to know why a licensed macro shows
// an error box).
#include <ctime>

#include "license/license.h"
#include "server/api_json.h"
#include "server/auth.h"
#include "server/context.h"

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
    }
    return json_response(200, to_json(o));
  });
}

}  // namespace vitrine::server
