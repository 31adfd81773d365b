// What every handler may use: the runtime (store, plugins, metrics,
// license), the render engine, the options and the browser sessions.
#pragma once

#include <atomic>

#include "render/engine.h"
#include "runtime/runtime.h"
#include "server/auth_cache.h"
#include "server/oidc/client.h"
#include "server/page_files.h"
#include "server/rate_limit_db.h"
#include "server/router.h"
#include "server/server.h"
#include "server/sessions.h"

namespace vitrine::server {

// From auth: (ui_login_oidc.cpp).
RateLimits sign_in_limits(const config::AuthConfig& auth);
std::unique_ptr<oidc::Client> make_oidc_client(const ServerOptions& options);

struct ServerContext {
  runtime::Runtime& runtime;
  render::Engine& engine;
  ServerOptions options;
  SessionStore sessions;
  AuthCache auth_cache;
  // Sign-in attempts and bearer-token failures (rate_limit.h), kept in the
  // store so every host shares one limit (rate_limit_db.h).
  DbRateLimiter sign_in_limiter;
  // OpenID Connect sign-in; null when auth.oidc is not configured.
  std::unique_ptr<oidc::Client> oidc;
  PageFiles page_files;
  std::atomic<bool> ready{false};

  ServerContext(runtime::Runtime& r, render::Engine& e, ServerOptions o)
      : runtime(r),
        engine(e),
        options(std::move(o)),
        sessions([&r] { return r.store().context(); }, options.sessions),
        auth_cache([&r] { return r.store().changes(); }, std::chrono::seconds(1)),
        sign_in_limiter(r.store().backend(), r.store().context().now, sign_in_limits(options.auth)),
        oidc(make_oidc_client(options)) {}
};

// One registration function per responsibility (one file each).
void add_ops_routes(Router& router, ServerContext& ctx);          // ops_endpoints.cpp
void add_api_spaces_routes(Router& router, ServerContext& ctx);   // api_spaces.cpp
void add_api_render_routes(Router& router, ServerContext& ctx);   // api_render.cpp
void add_api_plugins_routes(Router& router, ServerContext& ctx);  // api_plugins.cpp
void add_api_audit_routes(Router& router, ServerContext& ctx);    // api_audit.cpp
void add_api_license_routes(Router& router, ServerContext& ctx);  // api_license.cpp
void add_api_tokens_routes(Router& router, ServerContext& ctx);   // api_tokens.cpp
void add_console_routes(Router& router, ServerContext& ctx);      // ui_console*.cpp
void add_asset_routes(Router& router, ServerContext& ctx);        // assets.cpp
void add_login_routes(Router& router, ServerContext& ctx);        // ui_login.cpp
void add_oidc_login_routes(Router& router, ServerContext& ctx);   // ui_login_oidc.cpp
void add_page_routes(Router& router, ServerContext& ctx);         // ui_pages.cpp
void add_settings_routes(Router& router, ServerContext& ctx);     // ui_settings.cpp
void add_plugin_ui_routes(Router& router, ServerContext& ctx);    // ui_plugins.cpp
void add_embed_routes(Router& router, ServerContext& ctx);           // embed_routes.cpp
void add_embed_api_routes(Router& router, ServerContext& ctx);       // embed_api.cpp
void add_embed_settings_routes(Router& router, ServerContext& ctx);  // embed_settings_ui.cpp
void add_share_link_routes(Router& router, ServerContext& ctx);      // share_link_view.cpp
void add_share_links_api_routes(Router& router, ServerContext& ctx);  // share_links_api.cpp
void add_oembed_routes(Router& router, ServerContext& ctx);          // oembed.cpp
void add_api_freshness_routes(Router& router, ServerContext& ctx);  // api_freshness.cpp
void add_freshness_routes(Router& router, ServerContext& ctx);      // ui_freshness.cpp
void add_api_warming_routes(Router& router, ServerContext& ctx);    // api_warming.cpp
void add_warm_settings_routes(Router& router, ServerContext& ctx);  // warm_settings_ui.cpp

}  // namespace vitrine::server
