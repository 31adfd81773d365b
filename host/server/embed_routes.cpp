// Embeds for signed-in readers (docs/embedding.md): a page or one macro of a
// page in a bare document that the space's allowed origins may frame, and
// the two scripts of the height protocol. Authentication is the page view's
// (session cookie or bearer, viewer of the space and up).
#include "server/auth.h"
#include "server/context.h"
#include "server/embed_render.h"
#include "server/embed_scripts.h"
#include "server/ui/html.h"

namespace vitrine::server {
namespace {

Response script_response(std::string_view body) {
  Response r = text_response(200, std::string(body));
  r.content_type = "text/javascript; charset=utf-8";
  r.set_header("Cache-Control", "public, max-age=300");
  // Any page may load it: it only listens for height messages.
  r.set_header("Cross-Origin-Resource-Policy", "cross-origin");
  return r;
}

Response serve(ServerContext& ctx, Request& req, int64_t macro) {
  const std::string space = req.param("space");
  auto auth = authorize(ctx, req, Credentials::browser, store::Action::space_show, space);
  if (!auth.caller) return auth.refusal;
  EmbedTarget target{space, req.param("page"), macro};
  auto r = render_embed(ctx, target, req, false);
  if (!r.ok) {
    return embed_response(ctx, space, 404,
                          embed_document("Not found",
                                         "<div class=\"vitrine-error\" role=\"alert\"><p>" +
                                             ui::esc(r.message) + " [" + r.rule + "]</p></div>",
                                         {}));
  }
  return embed_response(
      ctx, space, 200,
      embed_document(r.title, r.body_html, oembed_discovery_url(ctx, req, req.path)));
}

}  // namespace

void add_embed_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/static/vitrine-embed-frame.js",
             [](Request&) { return script_response(frame_script()); });
  router.add("GET", "/embed.js", [](Request&) { return script_response(embedder_script()); });

  router.add("GET", "/embed/spaces/{space}/pages/{page}",
             [&ctx](Request& req) { return serve(ctx, req, 0); });
  router.add("GET", "/embed/spaces/{space}/pages/{page}/macros/{n}", [&ctx](Request& req) {
    const std::string n = req.param("n");
    int64_t macro = 0;
    const bool digits = !n.empty() && n.size() <= 3 && n[0] != '0' &&
                        n.find_first_not_of("0123456789") == std::string::npos;
    if (digits) macro = std::stoll(n);
    if (macro < 1) {
      return ui::error_page(404, "Not found", "Macros are numbered from 1 in page order.");
    }
    return serve(ctx, req, macro);
  });
}

}  // namespace vitrine::server
