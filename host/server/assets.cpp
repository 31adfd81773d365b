// GET /assets/{space}/{id}: images plugins stored (panel renderings), for
// viewers of that space only; another space's asset is a 404 like a missing
// one (P6). Ids are content hashes, so the answer never changes: cache it
// privately forever. SVG could carry script, so assets get a CSP of their
// own that forbids it even when opened directly.
#include "store/assets.h"

#include "server/auth.h"
#include "server/context.h"
#include "server/ui/html.h"

namespace vitrine::server {

void add_asset_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/assets/{space}/{id}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string id = req.param("id");
    auto auth = authorize(ctx, req, Credentials::browser, store::Action::asset_read, space);
    if (!auth.caller) return auth.refusal;
    auto missing = [] { return text_response(404, "not found\n"); };
    if (!is_slug(id, 128)) return missing();
    auto asset = ctx.runtime.store().assets().get(space, id);
    if (!asset) return missing();
    Response r;
    r.status = 200;
    r.content_type = asset->content_type;
    r.body = std::string(asset->data.view());
    r.set_header("Cache-Control", "private, max-age=31536000, immutable");
    r.set_header("Content-Security-Policy",
                 "default-src 'none'; style-src 'unsafe-inline'; sandbox");
    return r;
  });
}

}  // namespace vitrine::server
