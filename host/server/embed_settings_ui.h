// The space settings page's "Embeds and share links" section
// (docs/embedding.md): the origins allowed to frame the space's embeds and
// its share links, with forms to change the origins, create a link and
// revoke one. ui_settings.cpp places the section; the forms' routes are
// registered by add_embed_settings_routes.
#pragma once

#include <string>

#include "server/context.h"
#include "server/http.h"

namespace vitrine::server {

std::string embed_settings_section(ServerContext& ctx, const Request& request,
                                   const std::string& space, const std::string& csrf);

}  // namespace vitrine::server
