// GET /s/{token}: what a share link shows, to anyone who has it
// (docs/embedding.md#share-links). No session, no cookies: the token is the
// credential. Every view checks, in order: the rate limits (per link, per
// client address; 429 + Retry-After), the link itself (store/share_links.h:
// shape, id, space generation, signature, revocation, expiry), then the
// target (embed_render.h: the page exists, the macro exists, every macro
// shown has a running plugin enabled in the space). The answer is only the
// target, in the bare embed document, framed only by the space's allowed
// origins. Every view past the rate limit whose link id is known is one
// audit row (share_link.view, verdict allow or deny with the rule).
//
// GET /s/{token}/assets/{id}: an image the target shows (panel renderings),
// served only when the target's rendering references that asset.
#include <memory>

#include "log/log.h"
#include "server/context.h"
#include "server/embed_render.h"
#include "server/share_links_limiter_db.h"
#include "server/ui/html.h"
#include "store/audit.h"
#include "store/share_links.h"

namespace vitrine::server {
namespace {

int status_for_rule(const std::string& rule) {
  const bool gone = rule == store::rules::kShareLinkRevoked ||
                    rule == store::rules::kShareLinkExpired || rule == rules::kEmbedPageGone ||
                    rule == rules::kEmbedMacroGone || rule == rules::kEmbedPluginGone;
  return gone ? 410 : 404;
}

std::string refusal_body(const std::string& message, const std::string& rule) {
  return "<div class=\"vitrine-error\" role=\"alert\"><p>" + ui::esc(message) + " [" +
         ui::esc(rule) + "]</p></div>";
}

void audit_view(ServerContext& ctx, const store::ShareLinkRow& row, const Request& req,
                const std::string& rule) {
  const std::string target =
      row.page + (row.macro > 0 ? "#macro-" + std::to_string(row.macro) : "");
  store::AuditEvent ev{"share-link:" + row.id,
                       row.space,
                       "share_link.view",
                       row.id,
                       rule.empty() ? "allow" : "deny",
                       {{"target", target, false}, {"client", req.client, false}}};
  if (!rule.empty()) ev.detail.push_back({"rule", rule, false});
  ev.space_id = row.space_id;
  // A failed audit write is reported by AuditHealth (/readyz, metrics);
  // the reader's view does not depend on it.
  (void)ctx.runtime.store().audit().record(ev);
}

// The target's HTML with its asset URLs pointing at this link.
std::string rewrite_assets(std::string html, const std::string& space, const std::string& token) {
  const std::string from = "\"/assets/" + space + "/";
  const std::string to = "\"/s/" + token + "/assets/";
  for (std::size_t at = html.find(from); at != std::string::npos;
       at = html.find(from, at + to.size())) {
    html.replace(at, from.size(), to);
  }
  return html;
}

struct Verified {
  Response refusal;
  bool ok = false;
  store::ShareLinkRow row;
  EmbedRender render;
};

Verified verify(ServerContext& ctx, ShareLinkLimiter& limiter, const Request& req,
                const std::string& token, bool audit) {
  Verified v;
  auto parts = store::parse_share_token(token);
  const int wait = limiter.take(parts ? parts->id : std::string("malformed"), req.client);
  if (wait > 0) {
    ctx.runtime.metrics()
        .counter("vitrine_share_link_refused_total", "Share-link views refused, by rule",
                 {{"rule", rules::kShareLinkRateLimited}})
        .inc();
    v.refusal = html_response(429, embed_document("Too many requests",
                                                  refusal_body("too many views of this link or "
                                                               "from your address; retry after " +
                                                                   std::to_string(wait) + " s",
                                                               rules::kShareLinkRateLimited),
                                                  {}));
    v.refusal.set_header("Retry-After", std::to_string(wait));
    return v;
  }
  store::ShareLinks links(ctx.runtime.store().context());
  auto check = links.verify(token);
  std::string rule = check.rule;
  std::string message = check.message;
  if (check.ok) {
    v.render =
        render_embed(ctx, EmbedTarget{check.row.space, check.row.page, check.row.macro}, req, true);
    if (!v.render.ok) {
      rule = v.render.rule;
      message = v.render.message + "; ask the space's admins for a new link";
    }
  }
  if (!rule.empty()) {
    ctx.runtime.metrics()
        .counter("vitrine_share_link_refused_total", "Share-link views refused, by rule",
                 {{"rule", rule}})
        .inc();
  }
  if (audit && !check.row.id.empty()) audit_view(ctx, check.row, req, rule);
  if (!rule.empty()) {
    const auto html = embed_document("Share link", refusal_body(message, rule), {});
    const bool space_known = rule != store::rules::kShareLinkSpaceGone &&
                             !check.row.space.empty() && rule != store::rules::kShareLinkUnknown;
    v.refusal = space_known ? embed_response(ctx, check.row.space, status_for_rule(rule), html)
                            : html_response(status_for_rule(rule), html);
    return v;
  }
  v.ok = true;
  v.row = check.row;
  return v;
}

}  // namespace

void add_share_link_routes(Router& router, ServerContext& ctx) {
  // In the store, so every host shares the buckets (share_links_limiter_db.h).
  std::shared_ptr<ShareLinkLimiter> limiter = std::make_shared<DbShareLinkLimiter>(
      ctx.runtime.store().backend(), ctx.runtime.store().context().now, ShareLinkLimits{});

  router.add("GET", "/s/{token}", [&ctx, limiter](Request& req) {
    const std::string token = req.param("token");
    auto v = verify(ctx, *limiter, req, token, true);
    if (!v.ok) return std::move(v.refusal);
    std::string body = rewrite_assets(v.render.body_html, v.row.space, token);
    Response r = embed_response(
        ctx, v.row.space, 200,
        embed_document(v.render.title, body, oembed_discovery_url(ctx, req, "/s/" + token)));
    r.set_header("X-Robots-Tag", "noindex");
    return r;
  });

  router.add("GET", "/s/{token}/assets/{id}", [&ctx, limiter](Request& req) {
    const std::string token = req.param("token");
    const std::string id = req.param("id");
    auto missing = [] { return text_response(404, "not found\n"); };
    if (!is_slug(id, 128)) return missing();
    auto v = verify(ctx, *limiter, req, token, false);
    if (!v.ok) return text_response(v.refusal.status, "this share link does not show this\n");
    // Only an asset the target itself shows.
    const std::string body = rewrite_assets(v.render.body_html, v.row.space, token);
    if (body.find("\"/s/" + token + "/assets/" + id + "\"") == std::string::npos) {
      return missing();
    }
    auto asset = ctx.runtime.store().assets().get(v.row.space, id);
    if (!asset) return missing();
    Response r;
    r.status = 200;
    r.content_type = asset->content_type;
    r.body = std::string(asset->data.view());
    r.set_header("Cache-Control", "private, max-age=300");
    r.set_header("Content-Security-Policy",
                 "default-src 'none'; style-src 'unsafe-inline'; sandbox");
    return r;
  });
}

}  // namespace vitrine::server
