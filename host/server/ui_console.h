// The platform admin's console under /admin: Overview (notices), Spaces,
// Plugins (ui_plugins.cpp plus ui_console_plugins.cpp), Tokens, License and
// Audit. Every action calls the same desired-state operation as the CLI and
// the JSON API (store services, reconcile/*_ops.h); the console only reads
// a form and words the answer. Pages are platform-admin only: anyone else
// gets the 403/404 pages of auth.h. Forms POST with the session's CSRF token
// (csrf.h), then redirect back with a success or error notice.
#pragma once

#include <map>
#include <string>
#include <variant>

#include "server/auth.h"
#include "server/context.h"
#include "server/ui/html.h"

namespace vitrine::server::console {

// Who is signed in and with which roles, for the header of every page:
// the one place that turns a caller into display text.
std::string signed_in_text(ServerContext& ctx, const Caller& caller);

// The shell of a space's screens (page index, page, editor, history,
// freshness): title, the space's links as the caller may follow them, who
// is signed in, and the session's one-shot message (taken here, so it shows
// on whichever screen a redirect lands).
ui::Shell space_shell(ServerContext& ctx, const Caller& caller, const std::string& space,
                      const std::string& title);

struct FormCall {
  Caller caller;
  std::map<std::string, std::string> form;
};

// Authorization for `action` (platform-wide), then the CSRF checks; the
// form is parsed once here and the body wiped.
std::variant<FormCall, Response> guard(ServerContext& ctx, Request& req, store::Action action);

// POST-redirect-GET to `page` with a success notice, or an error notice.
Response back(ServerContext& ctx, const FormCall& call, const std::string& page,
              const std::string& notice);
Response back_with_error(ServerContext& ctx, const FormCall& call, const std::string& page,
                         const std::string& message);

struct PageCall {
  Caller caller;
  ui::Shell shell;  // title, csrf, who, flash and console nav set
};

// Authorization for a console page; the shell is ready for its body.
std::variant<PageCall, Response> open_page(ServerContext& ctx, Request& req, store::Action action,
                                           const std::string& title);

// A labelled text input (label for= id), keyboard-usable like every field.
std::string text_field(const std::string& id, const std::string& label, const std::string& value,
                       const std::string& attrs = {});

// Console sections; each file registers its own routes.
void add_console_overview_routes(Router& router, ServerContext& ctx);  // ui_console.cpp
void add_console_spaces_routes(Router& router, ServerContext& ctx);    // ui_console_spaces.cpp
void add_console_plugins_routes(Router& router, ServerContext& ctx);   // ui_console_plugins.cpp
void add_console_tokens_routes(Router& router, ServerContext& ctx);    // ui_console_tokens.cpp
void add_console_license_routes(Router& router, ServerContext& ctx);   // ui_console_license.cpp
void add_console_audit_routes(Router& router, ServerContext& ctx);     // ui_console_audit.cpp

// The plugin page's extra sections (install, per-space enablement), for
// ui_plugins.cpp.
std::string plugin_console_sections(ServerContext& ctx, const std::string& csrf);

}  // namespace vitrine::server::console
