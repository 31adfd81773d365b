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

// The editor page's sidebar: the dashboard picker (ui_edit_picker.cpp).
// HTML shown beside the editor form, already escaped or sanitized. It is
// the dashboard-library macro rendered for `space` by the render engine
// under the policy of a page view (plugin enabled in the space, approved,
// licensed), filtered by `search` (the edit page's ?picker_q=), with a
// search form that comes back to `page`'s editor. When the dashboard plugin
// is not enabled in the space it is a short notice saying who can enable it
// (with a link for a caller who may). [thread-safe]: blocks on the render.
std::string editor_sidebar_html(ServerContext& ctx, const Caller& caller, const std::string& space,
                                const std::string& page, const std::string& search);

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
