// Editing pages in the browser (ui_edit.cpp, ui_edit_history.cpp), the
// pages JSON API (api_pages.cpp) and the hooks other screens use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/auth.h"
#include "server/context.h"
#include "server/router.h"

namespace vitrine::server {

// /spaces/{space}/edit/{page}, /new, /rename, /delete, /preview,
// /convert-link (ui_edit.cpp) and /history, /restore (ui_edit_history.cpp).
void add_edit_routes(Router& router, ServerContext& ctx);
void add_edit_history_routes(Router& router, ServerContext& ctx);
// /api/v1/spaces/{space}/pages... (api_pages.cpp).
void add_api_pages_routes(Router& router, ServerContext& ctx);

// EXTENSION POINT for the editor page's sidebar (the dashboard picker
// fills it): HTML shown beside the editor form, already escaped; "" shows
// nothing. `csrf` is the session's token for any form it holds.
std::string editor_sidebar_html(ServerContext& ctx, const std::string& space,
                                const std::string& csrf);

// For the reader's page view and the page index: "Edit" and "History" links
// for those who may write the space's pages, "History" alone for its other
// roles; "New page" for writers only; otherwise "".
std::string page_edit_links_html(ServerContext& ctx, const Caller& caller, const std::string& space,
                                 const std::string& page);
std::string new_page_link_html(ServerContext& ctx, const Caller& caller, const std::string& space);

// The names of the space's pages (NAME.md files), sorted.
std::vector<std::string> list_pages(const ServerContext& ctx, const std::string& space);

// /static/vitrine-editor.js: live preview and paste-a-link (ui_edit_script.cpp).
std::string_view editor_script();

// The CSP of the editor's pages: the default one plus this origin's
// scripts (the editor script) and fetches (preview, link conversion).
inline constexpr const char* kEditorCsp =
    "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'";

}  // namespace vitrine::server
