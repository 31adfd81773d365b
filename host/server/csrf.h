// Cross-site request forgery defence for the browser forms, three layers:
//   1. the session cookie is SameSite=Strict, so a cross-site POST arrives
//      without it and is treated as logged out;
//   2. every form carries the session's random CSRF token, compared in
//      constant time;
//   3. the Origin header (and Sec-Fetch-Site), when the browser sends them,
//      must name this server.
// Login has no session yet, so it relies on layer 3. The JSON API needs
// none of this: it reads only the Authorization header, which a cross-site
// form or image cannot set.
#pragma once

#include <map>
#include <string>

#include "server/context.h"
#include "server/http.h"

namespace vitrine::server {

// False when the request comes from another site (Origin differs from this
// server's, or Sec-Fetch-Site says cross-site / same-site).
bool same_origin(const ServerContext& ctx, const Request& request);

// Layers 2 and 3 for a form POST of a logged-in session.
bool form_allowed(const ServerContext& ctx, const Request& request, const SessionView& session,
                  const std::map<std::string, std::string>& form);

// The 403 page a refused form gets.
Response csrf_refusal();

}  // namespace vitrine::server
