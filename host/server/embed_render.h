// What an embed shows (docs/embedding.md): one page, or one macro of a
// page, rendered by the engine as on the page view, inside a bare document
// (no navigation, no forms) that loads the height reporter
// /static/vitrine-embed-frame.js and is framed only by the space's allowed
// origins. Used by the signed-in embeds (embed_routes.cpp) and by share
// links (share_link_view.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "render/engine.h"
#include "server/context.h"
#include "server/http.h"

namespace vitrine::server {

struct EmbedTarget {
  std::string space;
  std::string page;
  int64_t macro = 0;  // 1-based; 0: the whole page
};

// The rules an embed or a share link is refused by once its credential was
// accepted (docs/embedding.md lists them).
namespace rules {
constexpr const char* kEmbedPageGone =
    "embed-page-gone";  // an embed's or share link's page does not exist (any more)
constexpr const char* kEmbedMacroGone =
    "embed-macro-gone";  // an embed's or share link's page has no macro with that number
constexpr const char* kEmbedPluginGone =
    "embed-plugin-gone";  // a macro a share link shows has no running plugin enabled in the space
constexpr const char* kShareLinkRateLimited =
    "share-link-rate-limited";  // too many views of a share link, or from one client address
}  // namespace rules

struct EmbedRender {
  bool ok = false;
  std::string rule;     // when !ok
  std::string message;  // when !ok
  std::string title;
  std::string body_html;  // sanitized engine output
  // Keeps the page outcome alive when body_html came from it.
  std::shared_ptr<const render::PageOutcome> page;
};

// Renders the target. `require_plugins`: refuse (kPluginGone) when a macro
// of the target has no running plugin or its plugin is not enabled in the
// space, instead of showing the macro's error box (share links).
EmbedRender render_embed(ServerContext& ctx, const EmbedTarget& target, const Request& request,
                         bool require_plugins);

// Only checks that the target exists and that its plugins run and are
// enabled (creating a share link). Empty rule when fine.
EmbedRender check_embed_target(ServerContext& ctx, const EmbedTarget& target);

// The document around `body_html`: the stylesheet, the height reporter and
// an oEmbed discovery link to `oembed_url` (none when empty).
std::string embed_document(const std::string& title, const std::string& body_html,
                           const std::string& oembed_url);

// An HTML answer that only the space's allowed origins may frame, with
// scripts from this origin only: CSP frame-ancestors is the space's list
// ('none' when empty).
Response embed_response(ServerContext& ctx, const std::string& space, int status, std::string html);

// The CSP of embed documents for a frame-ancestors source list.
std::string embed_csp(const std::string& frame_ancestors);

// This host's origin as readers reach it: server.public_url when set, else
// http://HOST from the request (loopback test installations).
std::string public_origin(const ServerContext& ctx, const Request& request);

// Percent-encodes everything but unreserved characters (RFC 3986).
std::string url_encode(const std::string& text);
// The oEmbed discovery URL of the resource at `path` on this host.
std::string oembed_discovery_url(const ServerContext& ctx, const Request& request,
                                 const std::string& path);

}  // namespace vitrine::server
