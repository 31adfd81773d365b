// Embed settings API (docs/api.md#embed-settings): the origins allowed to
// frame a space's embeds and share links. Space admins read and replace the
// list; each origin is checked by store/embed_settings.h and a refusal
// names its rule. The store audits each change (embed.origins).
#include "server/api_json.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/json_errors.h"
#include "store/embed_settings.h"

namespace vitrine::server {
namespace {

constexpr store::Action kManageEmbeds = store::Action::plugin_enable;

Response answer(ServerContext& ctx, const std::string& space) {
  auto origins = store::EmbedSettings(ctx.runtime.store().context()).origins(space);
  if (!origins) return json_error(origins.error());
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
  for (const auto& o : *origins) list->add(o);
  auto o = new_object();
  o->set("space", space);
  o->set("frame_ancestors", list);
  return json_response(200, to_json(o));
}

}  // namespace

void add_embed_api_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/api/v1/spaces/{space}/embed", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, store::Action::token_status, space);
    if (!auth.caller) return auth.refusal;
    return answer(ctx, space);
  });

  router.add("PUT", "/api/v1/spaces/{space}/embed", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, kManageEmbeds, space);
    if (!auth.caller) return auth.refusal;
    auto parsed = read_json_object(req);
    if (auto* r = std::get_if<Response>(&parsed)) return std::move(*r);
    const auto& body = std::get<JsonObject>(parsed);
    auto list = body->getArray("frame_ancestors");
    if (!list) {
      return json_error(400, "invalid",
                        "send {\"frame_ancestors\": [\"https://wiki.example.com\", ...]}");
    }
    std::vector<std::string> origins;
    for (const auto& v : *list) {
      if (!v.isString()) return json_error(400, "invalid", "'frame_ancestors' holds strings only");
      origins.push_back(v.convert<std::string>());
    }
    auto st = store::EmbedSettings(ctx.runtime.store().context())
                  .set_origins(auth.caller->who(), space, origins);
    if (!st) return json_error(st.error());
    return answer(ctx, space);
  });
}

}  // namespace vitrine::server
