// What the share-link API and the space settings page share: creating a
// link after checking its target, and the URL and state of a link.
#pragma once

#include <string>

#include "server/context.h"
#include "server/http.h"
#include "store/share_links.h"

namespace vitrine::server {

// Checks the target (embed_render.h: page, macro, plugins) and creates the
// link. Errc::invalid names the rule when the target cannot be shared.
store::Result<store::CreatedShareLink> create_share_link(ServerContext& ctx, const std::string& who,
                                                         const std::string& space,
                                                         const std::string& page, int64_t macro,
                                                         int64_t ttl_s);

// active | expired | revoked
std::string share_link_state(const store::ShareLinkRow& row, int64_t now_ms);
// The link readers open: ORIGIN/s/TOKEN.
std::string share_link_url(const ServerContext& ctx, const Request& request,
                           const std::string& token);

}  // namespace vitrine::server
