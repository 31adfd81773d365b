#include "server/share_links_admin.h"

#include "server/embed_render.h"

namespace vitrine::server {

store::Result<store::CreatedShareLink> create_share_link(ServerContext& ctx, const std::string& who,
                                                         const std::string& space,
                                                         const std::string& page, int64_t macro,
                                                         int64_t ttl_s) {
  if (!store::valid_space_key(space)) {
    return store::make_error(store::Errc::not_found, "space '" + space + "' not found");
  }
  if (!ctx.runtime.store().backend().get_space(space)) {
    return store::make_error(store::Errc::not_found, "space '" + space + "' not found");
  }
  auto check = check_embed_target(ctx, EmbedTarget{space, page, macro});
  if (!check.ok) {
    return store::make_error(store::Errc::invalid, check.message + " [" + check.rule + "]");
  }
  return store::ShareLinks(ctx.runtime.store().context()).create(who, space, page, macro, ttl_s);
}

std::string share_link_state(const store::ShareLinkRow& row, int64_t now_ms) {
  if (row.revoked_at_ms != 0) return "revoked";
  if (now_ms >= row.expires_at_ms) return "expired";
  return "active";
}

std::string share_link_url(const ServerContext& ctx, const Request& request,
                           const std::string& token) {
  return public_origin(ctx, request) + "/s/" + token;
}

}  // namespace vitrine::server
